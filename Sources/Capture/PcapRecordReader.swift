#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Classic pcap records read in place from a regular file: what `pcap_next_ex` hands over for an
/// ordinary record, without its two `fread`s and its copy of every packet (about 500 instructions a
/// packet, as much as decoding and the flow table together).
///
/// It reads only what libpcap would deliver unchanged: records of a file in the host's byte order,
/// version 2.4 or later (caplen and len never swapped), of a link type libpcap does not fix up, whose
/// captured length is within the file's snapshot length (and libpcap's usual maximum, 256 KiB). At
/// anything else — such a record, a record cut by the end of the file, a read error — it stops and
/// says where that record starts: `FileSource` moves libpcap's FILE there and libpcap goes on, so
/// the packets, timestamps, warnings and errors stay libpcap's own.
///
/// Timestamps are converted as libpcap's does for a file opened with nanosecond precision: the
/// record's 32-bit fields are signed (`bpf_int32`) and a microsecond file's fraction is multiplied
/// by 1,000.
final class PcapRecordReader {
    enum Next {
        case packet(CapturedPacket)
        /// The input ended after a whole record (libpcap: end of input).
        case end
        /// libpcap must read on from this file offset (the start of a record).
        case handOver(Int64)
    }

    /// The size of one read: enough for the largest record the reader takes (16 + 256 KiB).
    static let bufferSize = 1 << 20
    /// The largest captured length read here (libpcap's `MAXIMUM_SNAPLEN`).
    static let maximumCaptured = 262_144

    private let descriptor: Int32
    private let buffer: UnsafeMutableRawPointer
    /// The record being read starts at `start`; bytes up to `end` are valid.
    private var start = 0
    private var end = 0
    /// The file offset of `buffer[0]`.
    private var base: Int64
    private var inputEnded = false
    private let captureLimit: UInt32
    private let fractionScale: Int64

    /// `descriptor` stays open (it is the FILE's): only `pread` is used, so its offset is not moved.
    /// `offset` is where the first record starts (24, after the file header).
    init(descriptor: Int32, offset: Int64, snapshot: Int32, nanosecond: Bool) {
        self.descriptor = descriptor
        base = offset
        captureLimit = UInt32(min(max(Int(snapshot), 0), Self.maximumCaptured))
        fractionScale = nanosecond ? 1 : 1000
        buffer = UnsafeMutableRawPointer.allocate(byteCount: Self.bufferSize, alignment: 4096)
    }

    deinit { buffer.deallocate() }

    /// The file offset of the next record (for progress).
    var offset: Int64 { base + Int64(start) }

    @inline(__always)
    func next() -> Next {
        if end - start < 16 && !fill(16) {
            return end == start && inputEnded ? .end : .handOver(offset)
        }
        let record = UnsafeRawPointer(buffer + start)
        let seconds = Int32(bitPattern: record.loadUnaligned(as: UInt32.self))
        let fraction = Int32(bitPattern: record.loadUnaligned(fromByteOffset: 4, as: UInt32.self))
        let captured = record.loadUnaligned(fromByteOffset: 8, as: UInt32.self)
        let original = record.loadUnaligned(fromByteOffset: 12, as: UInt32.self)
        // Negative fields (as signed 32-bit numbers) go to libpcap: whether a version reads them signed
        // or unsigned, it is the one to say.
        guard captured <= captureLimit, seconds >= 0, fraction >= 0 else { return .handOver(offset) }
        let total = 16 + Int(captured)
        if end - start < total && !fill(total) { return .handOver(offset) }
        let data = UnsafeRawPointer(buffer + start + 16)
        start += total
        return .packet(CapturedPacket(
            timestamp: PacketTimestamp(seconds: Int64(seconds),
                                       nanoseconds: UInt32(truncatingIfNeeded: Int64(fraction) &* fractionScale)),
            capturedLength: Int(captured),
            originalLength: Int(original),
            bytes: UnsafeRawBufferPointer(start: data, count: Int(captured))))
    }

    /// Reads until `needed` bytes from `start` are in the buffer; false at the end of the input or
    /// on a read error (libpcap then reads the same place and says what it finds).
    private func fill(_ needed: Int) -> Bool {
        if start > 0 {
            let kept = end - start
            if kept > 0 { buffer.copyMemory(from: buffer + start, byteCount: kept) }
            base += Int64(start)
            start = 0
            end = kept
        }
        while end < needed {
            if inputEnded { return false }
            let n = pread(descriptor, buffer + end, Self.bufferSize - end, off_t(base + Int64(end)))
            if n < 0 {
                if errno == EINTR { continue }
                return false
            }
            if n == 0 { inputEnded = true; return false }
            end += n
        }
        return true
    }
}
