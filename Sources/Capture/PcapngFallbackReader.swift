#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// A read-only memory map of a whole file, unmapped when released.
final class MappedFile {
    let base: UnsafeRawPointer
    let size: Int
    /// False for a heap copy (`init(copying:)`), freed instead of unmapped.
    private let mapped: Bool

    /// A copy of `bytes` in ordinary heap memory, for the fuzz target of the pcapng reader: there,
    /// AddressSanitizer sees a read even one byte past the end (a map hides it up to the page end).
    init(copying bytes: UnsafeRawBufferPointer) {
        let copy = UnsafeMutableRawPointer.allocate(byteCount: max(1, bytes.count), alignment: 8)
        if let from = bytes.baseAddress, bytes.count > 0 { copy.copyMemory(from: from, byteCount: bytes.count) }
        base = UnsafeRawPointer(copy)
        size = bytes.count
        mapped = false
    }

    init(path: String) throws(CaptureError) {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else {
            throw CaptureError(.io, source: path, message: "cannot reopen: \(FileProbe.systemMessage(errno))")
        }
        defer { close(fd) }
        var st = stat()
        guard fstat(fd, &st) == 0, st.st_size > 0 else {
            throw CaptureError(.io, source: path, message: "cannot reopen: the file is empty or unreadable")
        }
        let size = Int(st.st_size)
        guard let map = mmap(nil, size, PROT_READ, MAP_PRIVATE, fd, 0), map != MAP_FAILED else {
            throw CaptureError(.io, source: path, message: "cannot map: \(FileProbe.systemMessage(errno))")
        }
        base = UnsafeRawPointer(map)
        self.size = size
        mapped = true
    }

    deinit {
        if mapped { munmap(UnsafeMutableRawPointer(mutating: base), size) } else { base.deallocate() }
    }
}

/// A pcapng reader for what libpcap 1.10 refuses to read past: a file whose interfaces differ
/// in link type or snap length. It walks the blocks in place and delivers the packets of the
/// interfaces whose link type is the first interface's (the link type libpcap reports for the
/// file), counting the others as skipped. Only `FileSource` uses it, as a fallback.
struct PcapngFallbackReader {
    struct Interface {
        var linkType: UInt16
        var snaplen: UInt32
        /// Timestamp units per second: 10^n, or 2^n when `binary`.
        var resolution: UInt8 = 6
        var binary = false
        var offsetSeconds: Int64 = 0
    }

    enum Step {
        case packet(CapturedPacket)
        /// A packet of an interface with another link type.
        case skipped
        case end
        /// The text says what is wrong at which offset; packets before were delivered.
        case broken(String)
    }

    let file: MappedFile
    private(set) var offset = 0
    private var bigEndian = false
    private var interfaces: [Interface] = []
    /// The link type (file value) of the file's first interface.
    private(set) var firstLinkType: UInt16?

    init(file: MappedFile) {
        self.file = file
    }

    private func u16(_ at: Int) -> UInt16 {
        let v = file.base.loadUnaligned(fromByteOffset: at, as: UInt16.self)
        return bigEndian ? UInt16(bigEndian: v) : UInt16(littleEndian: v)
    }

    private func u32(_ at: Int) -> UInt32 {
        let v = file.base.loadUnaligned(fromByteOffset: at, as: UInt32.self)
        return bigEndian ? UInt32(bigEndian: v) : UInt32(littleEndian: v)
    }

    mutating func next() -> Step {
        while true {
            let remaining = file.size - offset
            if remaining == 0 { return .end }
            if remaining < 12 { return .broken("the file ends inside a block header at offset \(offset)") }
            let type = file.base.loadUnaligned(fromByteOffset: offset, as: UInt32.self)
            if type == 0x0a0d_0d0a {   // Section Header Block: same value in both byte orders
                guard remaining >= 28 else { return .broken("the file ends inside a section header at offset \(offset)") }
                let bom = file.base.loadUnaligned(fromByteOffset: offset + 8, as: UInt32.self)
                if bom == UInt32(0x1a2b_3c4d).littleEndian {
                    bigEndian = false
                } else if bom == UInt32(0x1a2b_3c4d).bigEndian {
                    bigEndian = true
                } else {
                    return .broken("bad byte-order mark in the section header at offset \(offset)")
                }
                interfaces.removeAll(keepingCapacity: true)
            }
            let length = Int(u32(offset + 4))
            guard length >= 12, length % 4 == 0 else {
                return .broken("bad block length \(length) at offset \(offset)")
            }
            guard length <= remaining else {
                return .broken("the file ends inside a block at offset \(offset) (block of \(length) bytes, \(remaining) left)")
            }
            let body = offset + 8
            let bodyLength = length - 12
            let blockType = u32(offset)
            offset += length
            switch blockType {
            case 1:
                guard bodyLength >= 8 else { return .broken("interface description block too short at offset \(body - 8)") }
                var interface = Interface(linkType: u16(body), snaplen: u32(body + 4))
                readOptions(of: &interface, from: body + 8, to: body + bodyLength)
                if firstLinkType == nil { firstLinkType = interface.linkType }
                interfaces.append(interface)
            case 6:   // Enhanced Packet Block
                guard bodyLength >= 20 else { return .broken("enhanced packet block too short at offset \(body - 8)") }
                let id = Int(u32(body))
                let raw = UInt64(u32(body + 4)) << 32 | UInt64(u32(body + 8))
                return packet(interfaceID: id, rawTimestamp: raw, captured: Int(u32(body + 12)),
                              original: Int(u32(body + 16)), data: body + 20, room: bodyLength - 20)
            case 2:   // Packet Block (obsolete)
                guard bodyLength >= 20 else { return .broken("packet block too short at offset \(body - 8)") }
                let id = Int(u16(body))
                let raw = UInt64(u32(body + 4)) << 32 | UInt64(u32(body + 8))
                return packet(interfaceID: id, rawTimestamp: raw, captured: Int(u32(body + 12)),
                              original: Int(u32(body + 16)), data: body + 20, room: bodyLength - 20)
            case 3:   // Simple Packet Block: interface 0, no timestamp
                guard bodyLength >= 4 else { return .broken("simple packet block too short at offset \(body - 8)") }
                let original = Int(u32(body))
                var captured = min(original, bodyLength - 4)
                if let first = interfaces.first, first.snaplen > 0 { captured = min(captured, Int(first.snaplen)) }
                return packet(interfaceID: 0, rawTimestamp: nil, captured: captured, original: original,
                              data: body + 4, room: bodyLength - 4)
            default:
                continue   // name resolution, statistics, secrets, custom blocks
            }
        }
    }

    private func packet(interfaceID: Int, rawTimestamp: UInt64?, captured: Int, original: Int,
                        data: Int, room: Int) -> Step {
        guard interfaceID < interfaces.count else {
            return .broken("a packet names interface \(interfaceID), but only \(interfaces.count) are described (offset \(data))")
        }
        guard captured <= room else {
            return .broken("a packet claims \(captured) captured bytes in a block with room for \(room) (offset \(data))")
        }
        let interface = interfaces[interfaceID]
        if interface.linkType != firstLinkType { return .skipped }
        var timestamp = PacketTimestamp(seconds: 0, nanoseconds: 0)
        if let raw = rawTimestamp { timestamp = Self.timestamp(raw, interface) }
        return .packet(CapturedPacket(timestamp: timestamp, capturedLength: captured, originalLength: original,
                                      bytes: UnsafeRawBufferPointer(start: file.base + data, count: captured)))
    }

    static func timestamp(_ raw: UInt64, _ interface: Interface) -> PacketTimestamp {
        let units: UInt64
        if interface.binary {
            units = interface.resolution >= 63 ? UInt64(1) << 63 : UInt64(1) << UInt64(interface.resolution)
        } else {
            var u: UInt64 = 1
            for _ in 0..<min(Int(interface.resolution), 19) { u &*= 10 }
            units = u
        }
        let seconds = raw / units
        let fraction = raw % units
        // fraction * 1e9 / units without overflow
        let wide = fraction.multipliedFullWidth(by: 1_000_000_000)
        let nanos = units.dividingFullWidth((high: wide.high, low: wide.low)).quotient
        return PacketTimestamp(seconds: Int64(truncatingIfNeeded: seconds) &+ interface.offsetSeconds,
                               nanoseconds: UInt32(truncatingIfNeeded: nanos))
    }

    private func readOptions(of interface: inout Interface, from start: Int, to end: Int) {
        var at = start
        while at + 4 <= end {
            let code = u16(at)
            let length = Int(u16(at + 2))
            let value = at + 4
            if code == 0 || value + length > end { break }
            if code == 9, length >= 1 {            // if_tsresol
                let v = file.base.load(fromByteOffset: value, as: UInt8.self)
                interface.binary = v & 0x80 != 0
                interface.resolution = v & 0x7f
            } else if code == 14, length >= 8 {    // if_tsoffset, seconds
                let v = file.base.loadUnaligned(fromByteOffset: value, as: UInt64.self)
                interface.offsetSeconds = Int64(bitPattern: bigEndian ? UInt64(bigEndian: v) : UInt64(littleEndian: v))
            }
            at = value + (length + 3) & ~3
        }
    }
}
