import ArgumentParser
import Foundation
import Simulator

extension DownloadBehaviour: ExpressibleByArgument {}
extension BackgroundMix: ExpressibleByArgument {}

/// `streamprobe simulate`: synthetic captures with a known label, one file or a labelled corpus.
struct SimulateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "simulate",
        abstract: "Writes realistic synthetic traffic with a known label: one pcap, or a labelled corpus with a manifest.",
        discussion: """
            Profiles: \(Profile.allNames.joined(separator: ", ")). Links: \(LinkProfile.allNames.joined(separator: ", ")). \
            Background mixes: \(BackgroundMix.allCases.map(\.rawValue).joined(separator: ", ")). \
            The same seed gives the same bytes. Parameters and their sources: docs/simulator.md.
            Examples:
              streamprobe simulate --profile spotify:high -d 120 -o x.pcap
              streamprobe simulate --corpus corpus --profiles spotify:low,spotify:high --count 10 -d 60 --seed 7 --jobs 2
              streamprobe simulate --corpus other --profiles video:web,call:voice,download:file,download:update,web:browse -d 60
            """)

    @Option(help: "The profile of a single capture, e.g. spotify:high, video:vod, video:web, call:voice, download:file, web:browse.",
            completion: .list(Profile.allNames))
    var profile: String = "spotify:high"

    @Option(help: "Spotify download behaviour: bulk or paced (default: drawn per session from the seed).")
    var download: DownloadBehaviour?

    @Option(help: "Add a background mix (repeatable): web, dns, quic, download, lan, home, spotify-lan.")
    var background: [BackgroundMix] = []

    @Option(help: "Link profile: fibre, cable, dsl, wifi, 4g, vpn, or random (drawn per session).",
            completion: .list(LinkProfile.allNames + [LinkProfile.randomName]))
    var link: String = "random"

    @Option(name: [.customShort("d"), .long], help: "Duration in seconds.")
    var duration: Double = 60

    @Option(help: "Random seed: the same seed gives the same bytes.")
    var seed: UInt64 = 1

    @Option(name: [.customShort("o"), .long], help: "Output pcap file (single capture).")
    var output: String?

    @Flag(help: "Use IPv6 instead of IPv4.")
    var ipv6 = false

    @Flag(help: "Linux cooked capture (SLL, link type 113) instead of Ethernet.")
    var cooked = false

    @Flag(name: .customLong("cooked-v2"), help: "Linux cooked capture v2 (SLL2, link type 276).")
    var cookedV2 = false

    @Flag(help: "Nanosecond timestamps (pcap magic a1b23c4d).")
    var nanosecond = false

    @Option(help: "Cut every frame to this many bytes, keeping its wire length in the record header (as `tcpdump -s N` or `editcap -s N`).")
    var snaplen: UInt32 = 262_144

    @Flag(help: "Carry all traffic inside one WireGuard tunnel (UDP 51820).")
    var vpn = false

    @Option(name: .customLong("video-player"),
            help: "Player of video:live and video:vod: hls (ladder, Twitch-like live, VOD buffer policies) or fixed (the first scenario, for models trained on it).")
    var videoPlayer: String = VideoPlayer.hls.rawValue

    @Option(help: "Number of clients behind the link, each running the profile.")
    var clients: Int = 1

    @Option(name: .customLong("flows-csv"), help: "Also write the ground truth per flow (role, service, Spotify or not) to this CSV file.")
    var flowsCSV: String?

    @Option(name: .customLong("tracks-csv"), help: "Also write the ground truth per Spotify track (start, length, played, skipped, bytes, tier) to this CSV file.")
    var tracksCSV: String?

    @Option(name: .customLong("skip-share"), help: "Spotify: the probability that the listener skips each track (0 to 1; default 0, no skips).")
    var skipShare: Double = 0

    @Option(name: .customLong("pause-share"), help: "Spotify: the probability that the listener pauses each track once, for 15-900 s (0 to 1; default 0, no pauses).")
    var pauseShare: Double = 0

    @Option(help: "Write a labelled corpus into this folder (one subfolder per class, manifest.csv).")
    var corpus: String?

    @Option(help: "Corpus profiles, comma-separated.")
    var profiles: String?

    @Option(help: "Corpus captures per profile.")
    var count: Int = 10

    @OptionGroup var jobs: JobsOption

    func parsedProfiles() throws -> [Profile] {
        let names = corpus != nil ? (profiles ?? profile).split(separator: ",").map { String($0).trimmingCharacters(in: .whitespaces) } : [profile]
        return try names.map { name in
            guard let p = Profile(parsing: name) else {
                throw ValidationError("unknown profile '\(name)' (expected one of: \(Profile.allNames.joined(separator: ", ")))")
            }
            return p
        }
    }

    func parsedLink() throws -> LinkProfile? {
        if link.lowercased() == LinkProfile.randomName { return nil }
        guard let l = LinkProfile.named(link) else {
            throw ValidationError("unknown link '\(link)' (expected one of: \(LinkProfile.allNames.joined(separator: ", ")))")
        }
        return l
    }

    func validate() throws {
        _ = try parsedProfiles()
        _ = try parsedLink()
        guard duration > 0, duration.isFinite else { throw ValidationError("-d/--duration must be a positive number of seconds") }
        guard clients >= 1, clients <= 200 else { throw ValidationError("--clients must be between 1 and 200") }
        guard count >= 1 else { throw ValidationError("--count must be at least 1") }
        guard snaplen >= 14, snaplen <= 262_144 else { throw ValidationError("--snaplen must be between 14 and 262144 bytes") }
        guard VideoPlayer(rawValue: videoPlayer) != nil else {
            throw ValidationError("--video-player must be one of \(VideoPlayer.allCases.map(\.rawValue).joined(separator: ", ")) (got \(videoPlayer))")
        }
        guard !(cooked && cookedV2) else { throw ValidationError("--cooked and --cooked-v2 exclude each other") }
        guard (output == nil) != (corpus == nil) else { throw ValidationError("give either -o FILE or --corpus DIR") }
        guard flowsCSV == nil || output != nil else { throw ValidationError("--flows-csv goes with -o FILE") }
        guard tracksCSV == nil || output != nil else { throw ValidationError("--tracks-csv goes with -o FILE") }
        guard skipShare >= 0, skipShare <= 1 else { throw ValidationError("--skip-share must be between 0 and 1") }
        guard pauseShare >= 0, pauseShare <= 1 else { throw ValidationError("--pause-share must be between 0 and 1") }
    }

    func run() throws {
        let options = SimulationOptions(ipv6: ipv6, linkHeader: cookedV2 ? .cooked2 : (cooked ? .cooked : .ethernet),
                                        nanosecond: nanosecond, clients: clients, vpn: vpn, snaplen: snaplen,
                                        videoPlayer: VideoPlayer(rawValue: videoPlayer) ?? .hls, skipShare: skipShare,
                                        pauseShare: pauseShare)
        do {
            if let corpus {
                let entries = try Corpus.generate(directory: corpus, profiles: try parsedProfiles(), count: count, duration: duration, seed: seed,
                                                  link: try parsedLink(), download: download, background: background, options: options, jobs: jobs.count)
                print("wrote \(entries.count) captures (\(entries.reduce(0) { $0 + $1.packets }) packets) to \(corpus), listed in \(corpus)/manifest.csv")
            } else if let output {
                let session = Session(profile: try parsedProfiles()[0], link: try parsedLink(), download: download, background: background,
                                      duration: duration, seed: seed, options: options)
                let s = try session.write(to: output)
                if let flowsCSV {
                    do {
                        try s.flowTableCSV.write(toFile: flowsCSV, atomically: true, encoding: .utf8)
                    } catch {
                        throw PcapWriterError(path: flowsCSV, message: "cannot write (\(error.localizedDescription))")
                    }
                }
                if let tracksCSV {
                    do {
                        try s.tracksCSV.write(toFile: tracksCSV, atomically: true, encoding: .utf8)
                    } catch {
                        throw PcapWriterError(path: tracksCSV, message: "cannot write (\(error.localizedDescription))")
                    }
                }
                let isSpotify: Bool = { if case .spotify = s.profile { return true } else { return false } }()
                print("wrote \(output): \(s.packets) packets, \(s.bytes) bytes, \(duration) s; profile \(s.profile) (label \(s.label))"
                      + (isSpotify ? ", download \(s.download.rawValue)" : "")
                      + ", link \(s.link) (rtt \(Int((s.rtt * 1000).rounded())) ms, \(Int((s.downlink / 1e6).rounded())) Mbit/s)"
                      + (s.tunnel ? ", in a WireGuard tunnel" : "") + (s.phases.count > 1 ? "; phases \(s.phaseText)" : "")
                      + (s.drawn.isEmpty ? "" : "; drew \(s.drawnText)"))
            }
        } catch let e as PcapWriterError {
            FileHandle.standardError.write(Data("streamprobe: \(e)\n".utf8))
            throw ExitCode(66)
        }
    }
}
