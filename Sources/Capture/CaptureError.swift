/// A problem opening or reading a packet source, with the one-line text the user sees.
public struct CaptureError: Error, CustomStringConvertible, Sendable {
    public enum Kind: Sendable, Hashable {
        /// The path does not exist.
        case notFound
        /// The file (or directory) exists but may not be read.
        case permissionDenied
        /// A directory was given where a capture file was expected.
        case isDirectory
        /// A directory was expected (capture discovery) but the path is something else.
        case notADirectory
        /// The file has zero bytes.
        case emptyFile
        /// The file does not start with a pcap or pcapng magic number.
        case notACapture
        /// The file starts like a capture but ends inside its file header.
        case truncatedHeader
        /// libpcap rejected the file's contents.
        case corrupt
        /// A link type the source cannot deliver (e.g. a pcapng whose interfaces have different link types).
        case unsupportedLinkType
        /// The BPF filter did not compile.
        case badFilter
        /// The named interface does not exist.
        case noSuchInterface
        /// Live capture needs root or CAP_NET_RAW.
        case capturePermissionDenied
        /// The interface exists but cannot capture (down, wrong type, no default interface found).
        case interfaceUnusable
        /// A live capture could not give up root (unknown user, setuid failed).
        case privilegeDrop
        /// Any other system error (e.g. the file to save a live capture to cannot be created).
        case io
    }

    public var kind: Kind
    /// The path or interface concerned.
    public var source: String
    /// What is wrong, without the source name.
    public var message: String

    public init(_ kind: Kind, source: String, message: String) {
        self.kind = kind
        self.source = source
        self.message = message
    }

    /// One line: "<source>: <problem>".
    public var description: String { "\(source): \(message)" }

    /// The process exit code for this error (see `ExitStatusHelp`):
    /// 66 for unreadable input, 64 for a bad filter, 69 for interface problems, 77 for capture permission
    /// and for a failed privilege drop.
    public var exitCode: Int32 {
        switch kind {
        case .notFound, .permissionDenied, .isDirectory, .notADirectory, .emptyFile, .notACapture,
             .truncatedHeader, .corrupt, .unsupportedLinkType, .io:
            return 66
        case .badFilter:
            return 64
        case .noSuchInterface, .interfaceUnusable:
            return 69
        case .capturePermissionDenied, .privilegeDrop:
            return 77
        }
    }
}
