// swift-tools-version: 6.0
import PackageDescription

/// The per-packet modules skip Swift's dynamic exclusivity checks in release builds: their state is
/// owned by one pipeline at a time (checked in debug builds and by the test suite, which runs in debug).
let hotPath: [SwiftSetting] = [.unsafeFlags(["-enforce-exclusivity=unchecked"], .when(configuration: .release))]

let package = Package(
    name: "streamprobe",
    platforms: [.macOS(.v13)],
    products: [
        .executable(name: "streamprobe", targets: ["streamprobe"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/groue/GRDB.swift", from: "7.0.0"),
    ],
    targets: [
        // libpcap, through the system's pkg-config entry (Debian: libpcap-dev).
        .systemLibrary(
            name: "CPcap",
            pkgConfig: "libpcap",
            providers: [.apt(["libpcap-dev"]), .brew(["libpcap"])]
        ),
        // Header views and the decoder. Depends on nothing.
        .target(name: "Wire", swiftSettings: hotPath),
        // The seeded generator (SplitMix64) shared by the trainer, the simulator and the tests. Depends on nothing.
        .target(name: "SplitMix"),
        // gzip-compressed captures read as a stream (zlib behind a stdio FILE; Debian zlib1g-dev).
        .target(name: "CGzip", linkerSettings: [.linkedLibrary("z")]),
        // Packet sources: file, live interface, directory. The only importer of CPcap.
        .target(name: "Capture", dependencies: ["CPcap", "CGzip"], swiftSettings: hotPath),
        // Flow key, flow table, service names (TLS SNI, DNS).
        .target(name: "Flows", dependencies: ["Wire"], swiftSettings: hotPath),
        // JSON string literals, the one escaping of Features' rows and Trees' JSON. Depends on nothing.
        .target(name: "JSONText"),
        // Windows, statistics, feature sets. Depends only on JSONText: the Analyzer hands it packet samples.
        .target(name: "Features", dependencies: ["JSONText"], swiftSettings: hotPath),
        // Model file, evaluators, trainer, metrics. Depends only on JSONText and the seeded generator.
        .target(name: "Trees", dependencies: ["JSONText", "SplitMix"]),
        // Frame builder, pcap writer, synthetic traffic (Wire's header numbers, SplitMix64 for seeding).
        .target(name: "Simulator", dependencies: ["Wire", "SplitMix"]),
        // The model files of models/, embedded into the binary with C23 #embed (see models.c).
        .target(name: "ModelData"),
        // The pipeline (capture → flows → sessions → windows → features → model) and the report renderers.
        .target(
            name: "Analyzer",
            dependencies: ["Capture", "Wire", "Flows", "Features", "Trees", "ModelData"],
            swiftSettings: hotPath
        ),
        // The listening history: plays in a SQLite database (GRDB; Debian: libsqlite3-dev). Never per packet.
        // It holds the Analyzer's values (a bound model, a capture report), whose layouts come from the
        // modules below the Analyzer: they are listed so that a release build compiles History again when
        // one of them changes (SwiftPM's release build watches only a target's direct dependencies; an
        // incremental build once kept History on an older TreeModel layout, and `history add` crashed).
        .target(name: "History", dependencies: ["Analyzer", "Capture", "Wire", "Flows", "Features", "Trees", "ModelData",
                                                .product(name: "GRDB", package: "GRDB.swift")]),
        .executableTarget(
            name: "streamprobe",
            dependencies: [
                "Analyzer", "Capture", "Wire", "Features", "Trees", "Simulator", "History",
                // Not imported, but their values are held through the Analyzer's and the Simulator's
                // (flow records, seeded generators): listed for the reason given at History.
                "Flows", "SplitMix", "JSONText",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        // Tests only: counts the test thread's mallocs (glibc), for the allocation tests of the per-packet path.
        .target(name: "CAllocationCounter", path: "Tests/CAllocationCounter"),
        .testTarget(name: "WireTests", dependencies: ["Wire", "Simulator"]),
        .testTarget(name: "CaptureTests", dependencies: ["Capture", "Simulator"]),
        .testTarget(name: "FlowsTests", dependencies: ["Flows", "Wire", "Capture", "Simulator"]),
        .testTarget(name: "FeaturesTests", dependencies: ["Features", "Wire", "Capture", "Simulator", "SplitMix"], resources: [.copy("Fixtures")]),
        .testTarget(name: "TreesTests", dependencies: ["Trees", "SplitMix"], resources: [.copy("Fixtures")]),
        .testTarget(name: "SimulatorTests", dependencies: ["Simulator", "Wire", "Capture"]),
        .testTarget(name: "AnalyzerTests", dependencies: ["Analyzer", "Simulator", "Capture", "Trees", "Flows", "Wire",
                                                      "Features", "CAllocationCounter"]),
        .testTarget(name: "CLITests", dependencies: ["streamprobe", "Simulator", "Wire"]),
        .testTarget(name: "HistoryTests", dependencies: ["History", "Analyzer", "Simulator", "Trees"]),
    ],
    swiftLanguageModes: [.v6]
)
