// swift-tools-version: 6.0
import PackageDescription

let package = Package(
    name: "streamprobe",
    platforms: [.macOS(.v13)],
    products: [
        .executable(name: "streamprobe", targets: ["streamprobe"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
    ],
    targets: [
        // libpcap, through the system's pkg-config entry (Debian: libpcap-dev).
        .systemLibrary(
            name: "CPcap",
            pkgConfig: "libpcap",
            providers: [.apt(["libpcap-dev"]), .brew(["libpcap"])]
        ),
        // Header views and the decoder. Depends on nothing.
        .target(name: "Wire"),
        // Packet sources: file, live interface, directory. The only importer of CPcap.
        .target(name: "Capture", dependencies: ["CPcap"]),
        // Flow key, flow table, service names (TLS SNI, DNS).
        .target(name: "Flows", dependencies: ["Wire"]),
        // Windows, statistics, feature sets.
        .target(name: "Features", dependencies: ["Wire", "Flows"]),
        // Model file, evaluators, trainer, metrics. Depends on nothing.
        .target(name: "Trees"),
        // Frame builder, pcap writer, synthetic traffic.
        .target(name: "Simulator", dependencies: ["Wire"]),
        // The pipeline (capture → flows → sessions → windows → features → model) and the report renderers.
        .target(
            name: "Analyzer",
            dependencies: ["Capture", "Wire", "Flows", "Features", "Trees"]
        ),
        .executableTarget(
            name: "streamprobe",
            dependencies: [
                "Analyzer", "Capture", "Wire", "Flows", "Features", "Trees", "Simulator",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        .testTarget(name: "WireTests", dependencies: ["Wire", "Simulator"]),
        .testTarget(name: "CaptureTests", dependencies: ["Capture", "Simulator"]),
        .testTarget(name: "FlowsTests", dependencies: ["Flows", "Wire", "Capture", "Simulator"]),
        .testTarget(name: "FeaturesTests", dependencies: ["Features", "Wire", "Flows", "Capture", "Simulator"], resources: [.copy("Fixtures")]),
        .testTarget(name: "TreesTests", dependencies: ["Trees"], resources: [.copy("Fixtures")]),
        .testTarget(name: "SimulatorTests", dependencies: ["Simulator", "Wire", "Capture"]),
        .testTarget(name: "AnalyzerTests", dependencies: ["Analyzer", "Simulator", "Capture", "Trees", "Features", "Flows"]),
        .testTarget(name: "CLITests", dependencies: ["streamprobe", "Simulator"]),
    ],
    swiftLanguageModes: [.v6]
)
