// libFuzzer target: the whole `analyze` pipeline on a capture file — reading, the capture clock,
// flows, stream selection (by name, then by volume, which reads the file a second time), windows,
// features and the embedded default model (both stages), then the text report. The first byte of
// the input picks the scope (streams, reference, all); the rest is the file. A hang here (a loop
// driven by timestamps) is caught by libFuzzer's -timeout.
// Built and run by scripts/fuzz.sh (docs/fuzzing.md); not part of the package build.
import Analyzer
import Capture
import Foundation
import Glibc
import Trees

/// The default model, parsed once (a few seconds in an instrumented debug build).
let bound: BoundModel = {
    guard let json = EmbeddedModels.json["spotify-quality"] else { fatalError("no embedded spotify-quality model") }
    return try! BoundModel(try! TreeModel.decode(json: json, source: "spotify-quality"))
}()

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    guard size >= 1, let data else { return 0 }
    let scope: AnalysisScope = [.streams, .reference, .all][Int(data[0]) % 3]
    let path = scratchFile(holding: data + 1, count: size - 1)
    let analyzer = CaptureAnalyzer(model: bound, options: AnalysisOptions(scope: scope))
    do {
        let report = try analyzer.analyze(path: path)
        precondition(report.packets >= 0)
        for w in report.warnings { precondition(!w.contains("\n"), w) }
        _ = TextReport.render(report)
    } catch let error as CaptureError {
        precondition(error.exitCode == 66 && !error.description.contains("\n"), error.description)
    } catch let error as AnalysisError {
        precondition(!error.description.contains("\n"), error.description)
    } catch {
        preconditionFailure("unexpected error \(error)")
    }
    return 0
}
