#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Why a capture file could not be written.
public struct PcapWriterError: Error, CustomStringConvertible, Sendable {
    public var path: String
    public var message: String
    public var description: String { "\(path): \(message)" }
    public init(path: String, message: String) {
        self.path = path
        self.message = message
    }
}

/// Anything packets can be written to: a classic pcap or a pcapng file, on disk or in memory.
public protocol PacketWriter: AnyObject {
    /// Writes one packet. `frame` is what was captured (cut to the snap length); `originalLength` is the length on
    /// the wire (the frame's length when nil). `interface` selects a pcapng interface; classic pcap ignores it.
    func write(seconds: Int64, nanoseconds: UInt32, frame: UnsafeRawBufferPointer, originalLength: Int?, interface: Int) throws
    func close() throws
}

extension PacketWriter {
    public func write(timestamp seconds: Double, frame: [UInt8], originalLength: Int? = nil, interface: Int = 0) throws {
        let (s, ns) = splitTimestamp(seconds)
        try frame.withUnsafeBytes { try write(seconds: s, nanoseconds: ns, frame: $0, originalLength: originalLength, interface: interface) }
    }

    public func write(timestamp seconds: Double, frame: UnsafeRawBufferPointer, originalLength: Int? = nil, interface: Int = 0) throws {
        let (s, ns) = splitTimestamp(seconds)
        try write(seconds: s, nanoseconds: ns, frame: frame, originalLength: originalLength, interface: interface)
    }

    public func write(seconds: Int64, nanoseconds: UInt32, frame: [UInt8], originalLength: Int? = nil, interface: Int = 0) throws {
        try frame.withUnsafeBytes { try write(seconds: seconds, nanoseconds: nanoseconds, frame: $0, originalLength: originalLength, interface: interface) }
    }
}

/// Seconds as a double → whole seconds and nanoseconds (rounded to the nearest nanosecond).
@inlinable
func splitTimestamp(_ t: Double) -> (Int64, UInt32) {
    var s = Int64(t.rounded(.down))
    var ns = Int64(((t - Double(s)) * 1e9).rounded())
    if ns >= 1_000_000_000 { s += 1; ns -= 1_000_000_000 }
    if ns < 0 { ns = 0 }
    return (s, UInt32(ns))
}

/// Buffered output to a file descriptor or to memory. Unsafe pointers stay inside this type.
final class OutputBuffer {
    private(set) var bytes: [UInt8] = []
    private let fd: Int32
    private let path: String
    private let flushThreshold: Int
    private var closed = false

    init(path: String?) throws {
        if let path {
            let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
            if fd < 0 { throw PcapWriterError(path: path, message: "cannot create file (\(String(cString: strerror(errno))))") }
            self.fd = fd
            self.path = path
            flushThreshold = 1 << 20
            bytes.reserveCapacity(flushThreshold + 70_000)
        } else {
            fd = -1
            self.path = "<memory>"
            flushThreshold = Int.max
        }
    }

    deinit { if fd >= 0 && !closed { _ = try? flush(); _ = Glibc_close(fd) } }

    @inline(__always) func append(_ value: UInt8) { bytes.append(value) }
    @inline(__always) func appendLE(_ value: UInt16) { bytes.append(UInt8(truncatingIfNeeded: value)); bytes.append(UInt8(truncatingIfNeeded: value >> 8)) }
    @inline(__always) func appendLE(_ value: UInt32) {
        appendLE(UInt16(truncatingIfNeeded: value)); appendLE(UInt16(truncatingIfNeeded: value >> 16))
    }
    @inline(__always) func append(_ raw: UnsafeRawBufferPointer) { bytes.append(contentsOf: raw) }
    func pad(to multiple: Int) { while bytes.count % multiple != 0 { bytes.append(0) } }
    var count: Int { bytes.count }
    func patchLE(_ value: UInt32, at offset: Int) {
        for i in 0..<4 { bytes[offset + i] = UInt8(truncatingIfNeeded: value >> UInt32(8 * i)) }
    }

    func maybeFlush() throws { if bytes.count >= flushThreshold { try flush() } }

    func flush() throws {
        guard fd >= 0, !bytes.isEmpty else { return }
        try bytes.withUnsafeBytes { raw in
            var done = 0
            while done < raw.count {
                let n = Glibc_write(fd, raw.baseAddress! + done, raw.count - done)
                if n < 0 {
                    if errno == EINTR { continue }
                    throw PcapWriterError(path: path, message: "write failed (\(String(cString: strerror(errno))))")
                }
                done += n
            }
        }
        bytes.removeAll(keepingCapacity: true)
    }

    func close() throws {
        guard !closed else { return }
        try flush()
        closed = true
        if fd >= 0 && Glibc_close(fd) != 0 {
            throw PcapWriterError(path: path, message: "close failed (\(String(cString: strerror(errno))))")
        }
    }
}

@inline(__always) private func Glibc_write(_ fd: Int32, _ p: UnsafeRawPointer, _ n: Int) -> Int { write(fd, p, n) }
@inline(__always) private func Glibc_close(_ fd: Int32) -> Int32 { close(fd) }

/// A classic pcap writer (little-endian; magic a1b2c3d4 for microseconds, a1b23c4d for nanoseconds).
public final class PcapWriter: PacketWriter {
    public let linkType: UInt32
    public let nanosecond: Bool
    public let snaplen: UInt32
    public private(set) var packetCount = 0
    private let out: OutputBuffer

    /// Creates (truncates) `path` and writes the file header.
    public init(path: String, linkType: UInt32, nanosecond: Bool = false, snaplen: UInt32 = 262_144) throws {
        self.linkType = linkType
        self.nanosecond = nanosecond
        self.snaplen = snaplen
        out = try OutputBuffer(path: path)
        writeHeader()
    }

    private init(memoryLinkType: UInt32, nanosecond: Bool, snaplen: UInt32) {
        linkType = memoryLinkType
        self.nanosecond = nanosecond
        self.snaplen = snaplen
        out = try! OutputBuffer(path: nil)
        writeHeader()
    }

    /// A writer that keeps the file in memory; read it back with `bytes`.
    public static func memory(linkType: UInt32, nanosecond: Bool = false, snaplen: UInt32 = 262_144) -> PcapWriter {
        PcapWriter(memoryLinkType: linkType, nanosecond: nanosecond, snaplen: snaplen)
    }

    /// The file so far (complete for a memory writer; the unflushed tail for a file writer).
    public var bytes: [UInt8] { out.bytes }

    private func writeHeader() {
        out.appendLE(nanosecond ? UInt32(0xA1B2_3C4D) : UInt32(0xA1B2_C3D4))
        out.appendLE(UInt16(2))
        out.appendLE(UInt16(4))
        out.appendLE(UInt32(0))  // thiszone
        out.appendLE(UInt32(0))  // sigfigs
        out.appendLE(snaplen)
        out.appendLE(linkType)
    }

    public func write(seconds: Int64, nanoseconds: UInt32, frame: UnsafeRawBufferPointer, originalLength: Int? = nil,
                      interface: Int = 0) throws {
        let captured = min(frame.count, Int(snaplen))
        out.appendLE(UInt32(truncatingIfNeeded: seconds))
        out.appendLE(nanosecond ? nanoseconds : nanoseconds / 1000)
        out.appendLE(UInt32(captured))
        out.appendLE(UInt32(originalLength ?? frame.count))
        out.append(UnsafeRawBufferPointer(rebasing: frame[0..<captured]))
        packetCount += 1
        try out.maybeFlush()
    }

    public func flush() throws { try out.flush() }
    public func close() throws { try out.close() }
}

/// A minimal pcapng writer: one section header, one interface description per interface, enhanced packet blocks.
public final class PcapngWriter: PacketWriter {
    public struct Interface: Sendable {
        public var linkType: UInt32
        public var snaplen: UInt32
        public var name: String?
        /// Timestamps in nanoseconds (if_tsresol = 9) instead of the default microseconds.
        public var nanosecond: Bool
        public init(linkType: UInt32, snaplen: UInt32 = 262_144, name: String? = nil, nanosecond: Bool = false) {
            self.linkType = linkType
            self.snaplen = snaplen
            self.name = name
            self.nanosecond = nanosecond
        }
    }

    public let interfaces: [Interface]
    public private(set) var packetCount = 0
    private let out: OutputBuffer

    public init(path: String, interfaces: [Interface]) throws {
        precondition(!interfaces.isEmpty)
        self.interfaces = interfaces
        out = try OutputBuffer(path: path)
        writeHeaders()
    }

    private init(memoryInterfaces: [Interface]) {
        interfaces = memoryInterfaces
        out = try! OutputBuffer(path: nil)
        writeHeaders()
    }

    public static func memory(interfaces: [Interface]) -> PcapngWriter { PcapngWriter(memoryInterfaces: interfaces) }

    public var bytes: [UInt8] { out.bytes }

    private func writeHeaders() {
        // Section header block.
        out.appendLE(UInt32(0x0A0D_0D0A))
        out.appendLE(UInt32(28))
        out.appendLE(UInt32(0x1A2B_3C4D))
        out.appendLE(UInt16(1))
        out.appendLE(UInt16(0))
        out.appendLE(UInt32(0xFFFF_FFFF)); out.appendLE(UInt32(0xFFFF_FFFF))  // section length unknown
        out.appendLE(UInt32(28))
        for i in interfaces {
            let start = out.count
            out.appendLE(UInt32(1))
            out.appendLE(UInt32(0))  // patched
            out.appendLE(UInt16(truncatingIfNeeded: i.linkType))
            out.appendLE(UInt16(0))
            out.appendLE(i.snaplen)
            if let name = i.name {
                let utf8 = Array(name.utf8)
                out.appendLE(UInt16(2)); out.appendLE(UInt16(utf8.count))
                utf8.withUnsafeBytes { out.append($0) }
                out.pad(to: 4)
            }
            if i.nanosecond {
                out.appendLE(UInt16(9)); out.appendLE(UInt16(1)); out.append(9); out.pad(to: 4)
            }
            if i.name != nil || i.nanosecond { out.appendLE(UInt32(0)) }  // opt_endofopt
            let length = UInt32(out.count - start + 4)
            out.appendLE(length)
            out.patchLE(length, at: start + 4)
        }
    }

    public func write(seconds: Int64, nanoseconds: UInt32, frame: UnsafeRawBufferPointer, originalLength: Int? = nil,
                      interface: Int = 0) throws {
        precondition(interfaces.indices.contains(interface), "no such pcapng interface")
        let i = interfaces[interface]
        let captured = min(frame.count, Int(i.snaplen))
        let padded = (captured + 3) / 4 * 4
        let length = UInt32(32 + padded)
        let ticks = UInt64(seconds) &* (i.nanosecond ? 1_000_000_000 : 1_000_000)
            &+ UInt64(i.nanosecond ? nanoseconds : nanoseconds / 1000)
        out.appendLE(UInt32(6))
        out.appendLE(length)
        out.appendLE(UInt32(interface))
        out.appendLE(UInt32(truncatingIfNeeded: ticks >> 32))
        out.appendLE(UInt32(truncatingIfNeeded: ticks))
        out.appendLE(UInt32(captured))
        out.appendLE(UInt32(originalLength ?? frame.count))
        out.append(UnsafeRawBufferPointer(rebasing: frame[0..<captured]))
        out.pad(to: 4)
        out.appendLE(length)
        packetCount += 1
        try out.maybeFlush()
    }

    public func close() throws { try out.close() }
}
