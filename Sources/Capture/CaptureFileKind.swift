import CGzip
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Recognises capture files by their first four bytes, never by their name.
public enum CaptureFileKind {
    public enum Kind: Sendable, Hashable {
        /// Classic pcap. `littleEndian` is the file's byte order; `nanosecond` tells a
        /// nanosecond-resolution file (magic a1b23c4d) from the usual microsecond one (a1b2c3d4).
        case pcap(littleEndian: Bool, nanosecond: Bool)
        /// pcapng (starts with a Section Header Block, 0a0d0d0a).
        case pcapng
    }

    /// The kind told by a file's first four bytes (as stored, in file order), or nil.
    public static func detect(magic b: (UInt8, UInt8, UInt8, UInt8)) -> Kind? {
        switch b {
        case (0xa1, 0xb2, 0xc3, 0xd4): return .pcap(littleEndian: false, nanosecond: false)
        case (0xd4, 0xc3, 0xb2, 0xa1): return .pcap(littleEndian: true, nanosecond: false)
        case (0xa1, 0xb2, 0x3c, 0x4d): return .pcap(littleEndian: false, nanosecond: true)
        case (0x4d, 0x3c, 0xb2, 0xa1): return .pcap(littleEndian: true, nanosecond: true)
        case (0x0a, 0x0d, 0x0d, 0x0a): return .pcapng
        default: return nil
        }
    }

    /// The kind of the file at `path`, or nil when it is unreadable, shorter than four bytes,
    /// or does not start with a pcap / pcapng magic number.
    public static func detect(path: String) -> Kind? {
        guard var head = FileProbe.head(path: path, count: 4), head.count == 4 else { return nil }
        if head[0] == 0x1f && head[1] == 0x8b {
            // gzip: the kind of what it holds (read directly, see FileSource).
            var inner = [UInt8](repeating: 0, count: 4)
            guard streamprobe_gzip_head(path, &inner, 4) == 4 else { return nil }
            head = inner
        }
        return detect(magic: (head[0], head[1], head[2], head[3]))
    }

    /// True when `bytes` (fewer than four) could still be the start of a capture file.
    static func isMagicPrefix(_ bytes: [UInt8]) -> Bool {
        let magics: [[UInt8]] = [
            [0xa1, 0xb2, 0xc3, 0xd4], [0xd4, 0xc3, 0xb2, 0xa1],
            [0xa1, 0xb2, 0x3c, 0x4d], [0x4d, 0x3c, 0xb2, 0xa1], [0x0a, 0x0d, 0x0d, 0x0a],
        ]
        return magics.contains { Array($0.prefix(bytes.count)) == bytes }
    }
}

/// Small file-system probes done before libpcap sees a path, so errors can be precise.
enum FileProbe {
    enum Status {
        case regular(size: Int64)
        case directory
        case other(size: Int64)
    }

    /// stat(2) of `path` (following symbolic links), mapped to a `CaptureError` on failure.
    static func status(path: String) throws(CaptureError) -> Status {
        var st = stat()
        guard stat(path, &st) == 0 else {
            let code = errno
            switch code {
            case ENOENT, ENOTDIR:
                throw CaptureError(.notFound, source: path, message: "no such file")
            case EACCES:
                throw CaptureError(.permissionDenied, source: path, message: "permission denied")
            case ELOOP:
                throw CaptureError(.io, source: path, message: "too many levels of symbolic links")
            default:
                throw CaptureError(.io, source: path, message: systemMessage(code))
            }
        }
        switch st.st_mode & S_IFMT {
        case S_IFDIR: return .directory
        case S_IFREG: return .regular(size: Int64(st.st_size))
        default: return .other(size: Int64(st.st_size))
        }
    }

    /// Up to `count` first bytes of the file, or nil if it cannot be opened.
    static func head(path: String, count: Int) -> [UInt8]? {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var bytes = [UInt8](repeating: 0, count: count)
        var filled = 0
        while filled < count {
            let n = bytes.withUnsafeMutableBytes { buffer in
                read(fd, buffer.baseAddress! + filled, count - filled)
            }
            if n < 0 && errno == EINTR { continue }
            if n <= 0 { break }
            filled += n
        }
        return Array(bytes.prefix(filled))
    }

    /// Checks that `path` names a readable, non-empty regular file, or something else libpcap can
    /// read (a FIFO, `/dev/fd/N` of a shell's process substitution, a device), and returns its
    /// size and, for regular files only, its first bytes: reading a pipe would consume them.
    static func checkReadableFile(path: String) throws(CaptureError) -> (size: Int64, head: [UInt8]?) {
        let size: Int64
        let regular: Bool
        switch try status(path: path) {
        case .directory:
            throw CaptureError(.isDirectory, source: path, message: "is a directory, not a capture file (use --dir to analyse the captures below it)")
        case .regular(let s):
            size = s
            regular = true
            if s == 0 { throw CaptureError(.emptyFile, source: path, message: "empty file (0 bytes)") }
        case .other(let s):
            size = s
            regular = false
        }
        if access(path, R_OK) != 0 {
            throw CaptureError(.permissionDenied, source: path, message: "permission denied (the file is not readable)")
        }
        guard regular else { return (size, nil) }
        guard let head = head(path: path, count: 4) else {
            let code = errno
            if code == EACCES { throw CaptureError(.permissionDenied, source: path, message: "permission denied") }
            throw CaptureError(.io, source: path, message: "cannot open: \(systemMessage(code))")
        }
        return (size, head)
    }

    /// Why a file whose first bytes are `head` is not a capture, in a few words: compressed
    /// (and how to read it anyway), text, or the first bytes.
    static func notACapture(_ head: [UInt8], size: Int64) -> String {
        let compressed: [(magic: [UInt8], name: String, command: String)] = [
            ([0x28, 0xb5, 0x2f, 0xfd], "zstd", "zstd -d"),
            ([0xfd, 0x37, 0x7a, 0x58], "xz", "xz -dk"),
            ([0x42, 0x5a, 0x68], "bzip2", "bzip2 -dk"),
        ]
        for c in compressed where head.starts(with: c.magic) {
            return "\(c.name)-compressed, not a pcap or pcapng file (decompress it first: \(c.command) FILE)"
        }
        if head.starts(with: [0x50, 0x4b, 0x03, 0x04]) { return "a zip archive, not a pcap or pcapng file (unzip it first)" }
        if !head.isEmpty, head.allSatisfy({ $0 == 0x09 || $0 == 0x0a || $0 == 0x0d || (0x20..<0x7f).contains($0) }) {
            return "text, not a pcap or pcapng file (first bytes \(hex(head)))"
        }
        return "not a pcap or pcapng file (first bytes \(hex(head)))"
    }

    static func hex(_ bytes: [UInt8]) -> String {
        let digits: [Character] = Array("0123456789abcdef")
        return bytes.map { String([digits[Int($0 >> 4)], digits[Int($0 & 15)]]) }.joined(separator: " ")
    }

    static func systemMessage(_ code: Int32) -> String {
        guard let text = strerror(code) else { return "error \(code)" }
        return String(cString: text)
    }
}
