import ArgumentParser

@main
struct Streamprobe: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "streamprobe",
        abstract: "Tells what is inside encrypted streaming traffic from packet sizes and timing, without decrypting it.",
        discussion: ExitStatusHelp.text,
        version: "0.1.0",
        subcommands: [
            // One file per subcommand; the logic lives in the libraries.
            FlowsCommand.self,
            AnalyzeCommand.self, FeaturesCommand.self,
            TrainCommand.self, EvaluateCommand.self, ModelsCommand.self,
            SimulateCommand.self, HistoryCommand.self,
        ]
    )
}
