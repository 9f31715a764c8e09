import Flows
import Foundation
import Wire

/// UTF-8 bytes of CSV rows, written field by field without a string per field.
struct CSVBytes {
    var bytes: [UInt8] = []

    mutating func comma() { bytes.append(0x2C) }

    mutating func put(_ text: String) {
        var text = text
        text.withUTF8 { bytes.append(contentsOf: $0) }
    }

    /// Decimal digits, as `String(value)`.
    mutating func put(_ value: UInt64) {
        if value < 10 {
            bytes.append(0x30 + UInt8(truncatingIfNeeded: value))
            return
        }
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 20) { digits in
            var i = 20, v = value
            repeat {
                i -= 1
                digits[i] = 0x30 + UInt8(truncatingIfNeeded: v % 10)
                v /= 10
            } while v > 0
            bytes.append(contentsOf: UnsafeBufferPointer(rebasing: digits[i...]))
        }
    }

    /// Packets, bytes and payload bytes, each followed by a comma.
    mutating func put(_ counters: DirectionCounters) {
        put(counters.packets); comma()
        put(counters.bytes); comma()
        put(counters.payloadBytes); comma()
    }

    /// The address as `description` writes it.
    mutating func put(_ address: IPAddress) {
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: IPAddress.maximumTextLength) { buffer in
            let n = address.writeText(into: buffer)
            bytes.append(contentsOf: UnsafeBufferPointer(rebasing: buffer[..<n]))
        }
    }

    /// `String(format: "%.3f", value)`, without Foundation's format parser for the common case: the
    /// value times 1000, rounded to the nearest integer, is exact unless the product lies within its
    /// rounding error of a half; those values, and huge or non-finite ones, still go to `String(format:)`.
    mutating func putFixed3(_ value: Double) {
        let scaled = value.magnitude * 1000
        let whole = scaled.rounded(.down)
        let fraction = scaled - whole
        guard scaled < 1e15, (fraction - 0.5).magnitude > scaled.ulp else {
            put(String(format: "%.3f", value))
            return
        }
        let thousandths = UInt64(whole) + (fraction > 0.5 ? 1 : 0)
        if value.sign == .minus { bytes.append(0x2D) }
        put(thousandths / 1000)
        let rest = thousandths % 1000
        bytes.append(0x2E)
        bytes.append(0x30 + UInt8(truncatingIfNeeded: rest / 100))
        bytes.append(0x30 + UInt8(truncatingIfNeeded: rest / 10 % 10))
        bytes.append(0x30 + UInt8(truncatingIfNeeded: rest % 10))
    }
}
