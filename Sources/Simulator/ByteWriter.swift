import Wire

/// Big-endian stores into a mutable buffer the caller owns. The caller has sized the buffer;
/// every store is a plain unaligned write.
@usableFromInline
struct ByteWriter {
    @usableFromInline let base: UnsafeMutableRawBufferPointer

    @inlinable init(_ base: UnsafeMutableRawBufferPointer) { self.base = base }

    @inlinable func u8(_ offset: Int, _ value: UInt8) { base[offset] = value }
    @inlinable func u16(_ offset: Int, _ value: UInt16) {
        base.storeBytes(of: value.bigEndian, toByteOffset: offset, as: UInt16.self)
    }
    @inlinable func u32(_ offset: Int, _ value: UInt32) {
        base.storeBytes(of: value.bigEndian, toByteOffset: offset, as: UInt32.self)
    }
    @inlinable func u64(_ offset: Int, _ value: UInt64) {
        base.storeBytes(of: value.bigEndian, toByteOffset: offset, as: UInt64.self)
    }
    @inlinable func u16le(_ offset: Int, _ value: UInt16) {
        base.storeBytes(of: value.littleEndian, toByteOffset: offset, as: UInt16.self)
    }
    @inlinable func u32le(_ offset: Int, _ value: UInt32) {
        base.storeBytes(of: value.littleEndian, toByteOffset: offset, as: UInt32.self)
    }
    @inlinable func address(_ offset: Int, _ a: IPAddress, v4: Bool) {
        if v4 {
            u32(offset, UInt32(truncatingIfNeeded: a.low))
        } else {
            u64(offset, a.high)
            u64(offset + 8, a.low)
        }
    }
    @inlinable func bytes(_ offset: Int, _ source: UnsafeRawBufferPointer) {
        guard source.count > 0 else { return }
        UnsafeMutableRawBufferPointer(rebasing: base[offset..<(offset + source.count)]).copyMemory(from: source)
    }
    @inlinable func bytes(_ offset: Int, _ source: [UInt8]) {
        source.withUnsafeBytes { bytes(offset, $0) }
    }
    @inlinable func zero(_ range: Range<Int>) {
        for i in range { base[i] = 0 }
    }
}
