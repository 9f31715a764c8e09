import CGzip
import CPcap
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Packets from a capture file: classic pcap (either byte order, micro- or nanosecond) or
/// pcapng, through libpcap. Timestamps are always delivered in nanoseconds.
///
/// pcapng with several interfaces: libpcap reports one link type per file (the first
/// interface's) and, in 1.10, stops with an error at the description block of an interface
/// whose link type or snap length differs from the first one's. `FileSource` then goes on
/// with its own in-place pcapng reader (`PcapngFallbackReader`): it delivers the packets of
/// every interface of the first interface's link type, whatever their snap length, skips the
/// packets of interfaces with another link type and says so in `warnings`.
public final class FileSource: PacketSource {
    public let name: String
    public let linkType: Int32
    public let linkTypeName: String
    /// The kind told by the file's magic number (nil for variants libpcap reads but the magic table does not list).
    public let fileKind: CaptureFileKind.Kind?
    public var endsOnTheClock: Bool { false }
    /// The file's size in bytes when it was opened (0 for pipes and devices).
    /// A pipe is read like a file, except that the pcapng fallback reader needs a regular file.
    public let fileSize: Int64
    /// Packets delivered so far (updated when `forEachPacket` returns).
    public private(set) var packetsRead: Int = 0
    /// Packets not delivered because their pcapng interface has another link type than the file's.
    public private(set) var skippedPackets: Int = 0
    /// Things the user should know that did not stop the reading (e.g. skipped packets), one line each.
    public private(set) var warnings: [String] = []

    /// Set when libpcap could not read past a pcapng interface; the rest is read by this.
    private var fallback: PcapngFallbackReader?

    let handle: PcapHandle

    /// The path that means standard input, as in tcpdump (`tcpdump -w - … | streamprobe analyze -`).
    public static let standardInput = "-"

    /// A copy of what was read, kept for a second reading when the input is a pipe (standard
    /// input): an unlinked temporary file, so it disappears with the process.
    private var spool: (descriptor: Int32, dumper: OpaquePointer)?
    /// What was opened (`/dev/stdin` for `-`): a regular file can be opened again by this path.
    private var readPath: String

    /// Opens `path` (`-`: standard input), checking it first so that the error says precisely what
    /// is wrong, and installs the BPF `filter` if one is given. With `spoolPipes`, a pipe's packets
    /// are also written to a hidden temporary file as they are read, so `reopen()` can read them again.
    public convenience init(path: String, filter: String? = nil, spoolPipes: Bool = false) throws(CaptureError) {
        let opened = try Self.openCapture(path: path)
        try self.init(opened, filter: filter, spool: spoolPipes && opened.isPipe)
    }

    /// Reads an already open capture file (e.g. one opened before privileges were dropped) from
    /// its start; `name` is its path, for messages.
    public convenience init(descriptor: Int32, name: String, filter: String? = nil) throws(CaptureError) {
        var st = stat()
        let size = fstat(descriptor, &st) == 0 ? Int64(st.st_size) : 0
        let handle: PcapHandle
        switch PcapHandle.openOffline(descriptor: descriptor, source: name) {
        case .success(let h): handle = h
        case .failure(let failure):
            throw CaptureError(.corrupt, source: name, message: "cannot read the capture again: \(failure.text)")
        }
        try self.init(OpenedCapture(name: name, readPath: "/dev/fd/\(descriptor)", fileKind: nil, fileSize: size,
                                    isPipe: false, handle: handle),
                      filter: filter, spool: false)
    }

    /// The one initialiser both open paths end in: the libpcap handle and what is known about the file.
    private init(_ opened: OpenedCapture, filter: String?, spool spoolPipe: Bool) throws(CaptureError) {
        name = opened.name
        readPath = opened.readPath
        fileKind = opened.fileKind
        fileSize = opened.fileSize
        handle = opened.handle
        linkType = handle.linkType
        linkTypeName = handle.linkTypeName
        if let filter { try handle.setFilter(filter) }
        if spoolPipe { spool = try Self.openSpool(handle.pointer, for: name) }
    }

    /// A capture opened by libpcap, before the filter is installed.
    private struct OpenedCapture {
        var name: String
        /// What was opened (`/dev/stdin` for `-`).
        var readPath: String
        var fileKind: CaptureFileKind.Kind?
        var fileSize: Int64
        /// A pipe or device: its first bytes could not be looked at, and it can be read only once.
        var isPipe: Bool
        var handle: PcapHandle
    }

    /// Opens `path` by what its first bytes say: a pipe as it comes, gzip through zlib, a capture file by
    /// libpcap; each failure becomes the error that says what is wrong.
    private static func openCapture(path: String) throws(CaptureError) -> OpenedCapture {
        let openPath = path == Self.standardInput ? "/dev/stdin" : path
        let (size, probedHead) = try FileProbe.checkReadableFile(path: openPath)
        let name = path == Self.standardInput ? "stdin" : path
        func opened(_ handle: PcapHandle, kind: CaptureFileKind.Kind?, isPipe: Bool = false) -> OpenedCapture {
            OpenedCapture(name: name, readPath: openPath, fileKind: kind, fileSize: size, isPipe: isPipe, handle: handle)
        }
        guard let head = probedHead else {
            // A pipe or device: its first bytes cannot be looked at without consuming them.
            switch PcapHandle.openOffline(path: openPath) {
            case .success(let h):
                return opened(h, kind: nil, isPipe: true)
            case .failure(let failure):
                if failure.text.contains("only got 0") {
                    throw CaptureError(.emptyFile, source: name, message: "empty input (0 bytes)")
                }
                if failure.text.contains("truncated") {
                    throw CaptureError(.truncatedHeader, source: name, message: "input cut inside its file header (\(failure.text))")
                }
                throw CaptureError(.notACapture, source: name, message: "not a pcap or pcapng stream (\(failure.text))")
            }
        }
        if head.count < 4 {
            if CaptureFileKind.isMagicPrefix(head) {
                throw CaptureError(.truncatedHeader, source: path, message: "capture cut inside its file header (only \(head.count) bytes)")
            }
            throw CaptureError(.notACapture, source: path, message: FileProbe.notACapture(head, size: size))
        }
        if head.starts(with: [0x1f, 0x8b]) {
            // gzip: read the decompressed stream as libpcap reads a pipe (one pass, constant memory);
            // a second reading decompresses the file again.
            guard let file = streamprobe_gzip_fopen(openPath) else {
                throw CaptureError(.io, source: name, message: "cannot open the gzip-compressed file: \(FileProbe.systemMessage(errno))")
            }
            switch PcapHandle.openOffline(file: file, source: name) {
            case .success(let h): return opened(h, kind: nil)
            case .failure(let failure):
                // gz_read reports corrupt compressed data as EIO.
                if failure.text.contains("Input/output error") {
                    throw CaptureError(.corrupt, source: name, message: "gzip-compressed, but the compressed data is corrupt or cut short")
                }
                throw CaptureError(.notACapture, source: name,
                                   message: "gzip-compressed, but what it holds is not a pcap or pcapng file (\(failure.text))")
            }
        }
        let kind = CaptureFileKind.detect(magic: (head[0], head[1], head[2], head[3]))
        switch PcapHandle.openOffline(path: openPath) {
        case .success(let h):
            return opened(h, kind: kind)
        case .failure(let failure):
            if kind == nil {
                throw CaptureError(.notACapture, source: name, message: FileProbe.notACapture(head, size: size))
            }
            if case .pcap = kind, size > 0, size < 24 {
                throw CaptureError(.truncatedHeader, source: name, message: "capture cut inside its file header (\(size) of 24 bytes)")
            }
            if failure.text.contains("truncated") {
                throw CaptureError(.truncatedHeader, source: name, message: "capture cut inside its file header (\(size) bytes; \(failure.text))")
            }
            throw CaptureError(.corrupt, source: name, message: "corrupt capture file: \(failure.text)")
        }
    }

    /// An unlinked temporary file in $TMPDIR (or /tmp) with a pcap dumper on it.
    private static func openSpool(_ pointer: OpaquePointer, for name: String) throws(CaptureError) -> (Int32, OpaquePointer) {
        let dir = getenv("TMPDIR").map { String(cString: $0) }.flatMap { $0.isEmpty ? nil : $0 } ?? "/tmp"
        var template = Array((dir + "/streamprobe-spool-XXXXXX").utf8CString)
        let fd = template.withUnsafeMutableBufferPointer { mkstemp($0.baseAddress!) }
        guard fd >= 0 else {
            throw CaptureError(.io, source: name, message: "cannot create a temporary file in \(dir) to read the input twice: \(FileProbe.systemMessage(errno))")
        }
        template.withUnsafeBufferPointer { _ = unlink($0.baseAddress!) }
        guard let file = fdopen(dup(fd), "w"), let dumper = pcap_dump_fopen(pointer, file) else {
            close(fd)
            throw CaptureError(.io, source: name, message: "cannot write a temporary copy of the input")
        }
        return (fd, dumper)
    }

    /// The same packets again: the file itself, or the spooled copy of a pipe.
    public func reopen(filter: String?) throws(CaptureError) -> FileSource {
        if let spool {
            pcap_dump_flush(spool.dumper)
            return try FileSource(descriptor: spool.descriptor, name: name, filter: filter)
        }
        guard fileKind != nil || fileSize > 0 else {
            throw CaptureError(.io, source: name, message: "a pipe cannot be read twice (open it with spoolPipes)")
        }
        // A regular file (also a gzip-compressed one) is simply opened again.
        return try FileSource(path: readPath, filter: filter)
    }

    deinit {
        if let spool {
            pcap_dump_close(spool.dumper)
            close(spool.descriptor)
        }
    }

    /// How far libpcap has read into the file, in bytes (for progress; `fileSize` is the total).
    public var bytesRead: Int64 {
        if let fallback { return Int64(fallback.offset) }
        guard let file = pcap_file(handle.pointer) else { return 0 }
        return Int64(max(0, ftell(file)))   // -1 on pipes
    }

    public func forEachPacket(_ body: (borrowing CapturedPacket) throws -> Bool) throws -> SourceEnd {
        if fallback != nil { return try readWithFallback(body, skipping: 0) }
        let p = handle.pointer
        var header: UnsafeMutablePointer<pcap_pkthdr>? = nil
        var data: UnsafePointer<UInt8>? = nil
        var count = 0
        defer { packetsRead += count }
        while true {
            let rc = pcap_next_ex(p, &header, &data)
            if _fastPath(rc == 1) {
                let h = header.unsafelyUnwrapped
                let caplen = Int(h.pointee.caplen)
                let packet = CapturedPacket(
                    timestamp: PacketTimestamp(
                        seconds: Int64(h.pointee.ts.tv_sec),
                        nanoseconds: UInt32(truncatingIfNeeded: h.pointee.ts.tv_usec)),
                    capturedLength: caplen,
                    originalLength: Int(h.pointee.len),
                    bytes: UnsafeRawBufferPointer(start: data, count: caplen))
                count += 1
                if let spool { pcap_dump(UnsafeMutableRawPointer(spool.dumper).assumingMemoryBound(to: UInt8.self), h, data) }
                if try !body(packet) { return .stopped }
                continue
            }
            if rc == PCAP_ERROR_BREAK { return .endOfInput }
            let message = handle.lastError
            if fileKind == .pcapng && Self.isMixedInterfaceMessage(message) {
                // Everything libpcap delivered came before the odd interface: re-walk the file,
                // skip those packets, and continue with the fallback reader.
                let delivered = packetsRead + count
                packetsRead += count
                count = 0
                fallback = PcapngFallbackReader(file: try MappedFile(path: readPath))
                return try readWithFallback(body, skipping: delivered)
            }
            return try readFailure(afterPackets: packetsRead + count, message: message)
        }
    }

    static func isMixedInterfaceMessage(_ message: String) -> Bool {
        message.contains("different from the type of the first interface")
            || message.contains("different from the snapshot length of the first interface")
    }

    private func readWithFallback(_ body: (borrowing CapturedPacket) throws -> Bool, skipping: Int) throws -> SourceEnd {
        guard var reader = fallback else { return .endOfInput }
        var count = 0
        var skipped = 0
        var toSkip = skipping
        defer {
            fallback = reader
            packetsRead += count
            skippedPackets += skipped
        }
        while true {
            switch reader.next() {
            case .packet(let packet):
                // The filter libpcap applied to what it read applies here too.
                guard handle.matches(packet) else { continue }
                if toSkip > 0 { toSkip -= 1; continue }
                count += 1
                if try !body(packet) { return .stopped }
            case .skipped:
                skipped += 1
            case .end:
                noteSkipped(skippedPackets + skipped)
                return .endOfInput
            case .broken(let problem):
                noteSkipped(skippedPackets + skipped)
                let delivered = packetsRead + count
                if delivered == 0 && skipping == 0 {
                    throw CaptureError(.corrupt, source: name, message: "corrupt capture file: \(problem)")
                }
                let after = "after \(delivered) packet\(delivered == 1 ? "" : "s")"
                return .truncated("\(name): stopped reading \(after): \(problem)")
            }
        }
    }

    private func noteSkipped(_ total: Int) {
        guard total > 0 else { return }
        warnings.removeAll { $0.contains("interfaces whose link type is not") }
        warnings.append("\(name): skipped \(total) packet\(total == 1 ? "" : "s") of pcapng interfaces whose link type is not the file's (\(linkTypeName))")
    }

    /// Turns a failed `pcap_next_ex` into a warning (packets were read) or an error (none were).
    func readFailure(afterPackets delivered: Int, message: String) throws(CaptureError) -> SourceEnd {
        let after = "after \(delivered) packet\(delivered == 1 ? "" : "s")"
        if message.contains("truncated") {
            return .truncated("\(name): capture cut in the middle of a packet record \(after); the packets before the cut were read (\(message))")
        }
        if delivered == 0 { throw CaptureError(.corrupt, source: name, message: "corrupt capture file: \(message)") }
        return .truncated("\(name): corrupt data \(after); the packets before it were read (\(message))")
    }
}
