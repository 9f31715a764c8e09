/// What went wrong while decoding one packet: which layer, and either how many bytes the header needed
/// against how many the capture held, or which field was malformed.
///
/// Truncation is data, not a crash: the decoder keeps the layers that decoded and the caller counts the
/// anomaly by its `name` (`truncated_ipv4_header`, `ipv4_bad_header_length`, ...). Counting by `code`
/// (a small integer) needs no string per packet.
public struct DecodeError: Error, Hashable, Sendable, CustomStringConvertible {
    public enum Layer: UInt8, CaseIterable, Sendable {
        case ethernet, vlan, linuxCooked, linuxCooked2, loopback, raw, ipv4, ipv6, ipv6Extension, tcp, udp, icmp, icmpv6, arp

        public var name: String {
            switch self {
            case .ethernet: return "ethernet"
            case .vlan: return "vlan"
            case .linuxCooked: return "sll"
            case .linuxCooked2: return "sll2"
            case .loopback: return "loopback"
            case .raw: return "raw_ip"
            case .ipv4: return "ipv4"
            case .ipv6: return "ipv6"
            case .ipv6Extension: return "ipv6_extension"
            case .tcp: return "tcp"
            case .udp: return "udp"
            case .icmp: return "icmp"
            case .icmpv6: return "icmpv6"
            case .arp: return "arp"
            }
        }
    }

    public enum Reason: UInt8, CaseIterable, Sendable {
        /// The header needs more bytes than were captured.
        case truncated
        /// A header-length field is below the minimum (IPv4 IHL < 5, TCP data offset < 5, UDP length < 8).
        case badHeaderLength
        /// The IP version nibble does not match the layer.
        case badVersion
        /// The IP total / payload length is smaller than the headers it must contain.
        case badTotalLength
        /// The BSD loopback address family is not IPv4 or IPv6.
        case unknownAddressFamily

        public var name: String {
            switch self {
            case .truncated: return "truncated"
            case .badHeaderLength: return "bad_header_length"
            case .badVersion: return "bad_version"
            case .badTotalLength: return "bad_total_length"
            case .unknownAddressFamily: return "unknown_address_family"
            }
        }
    }

    public var layer: Layer
    public var reason: Reason
    /// Bytes the header needed (for `.truncated`; otherwise the minimum the field should have allowed).
    public var needed: Int
    /// Bytes available (for `.truncated`; otherwise the value found in the field).
    public var available: Int

    @inlinable
    public init(layer: Layer, reason: Reason, needed: Int, available: Int) {
        self.layer = layer
        self.reason = reason
        self.needed = needed
        self.available = available
    }

    @inlinable
    public static func truncated(_ layer: Layer, needed: Int, available: Int) -> DecodeError {
        DecodeError(layer: layer, reason: .truncated, needed: needed, available: available)
    }

    @inlinable
    public static func malformed(_ layer: Layer, _ reason: Reason, expected: Int, found: Int) -> DecodeError {
        DecodeError(layer: layer, reason: reason, needed: expected, available: found)
    }

    /// How many distinct anomaly codes exist (for fixed-size counter arrays).
    public static let codeCount = Layer.allCases.count * Reason.allCases.count

    /// A dense small integer for (layer, reason), `0..<codeCount`.
    @inlinable
    public var code: Int { Int(layer.rawValue) * Reason.allCases.count + Int(reason.rawValue) }

    /// The anomaly name for a code (the inverse of `code`).
    public static func name(ofCode code: Int) -> String {
        let layer = Layer.allCases[code / Reason.allCases.count]
        let reason = Reason.allCases[code % Reason.allCases.count]
        return anomalyName(layer: layer, reason: reason)
    }

    static func anomalyName(layer: Layer, reason: Reason) -> String {
        switch reason {
        case .truncated: return "truncated_\(layer.name)_header"
        default: return "\(layer.name)_\(reason.name)"
        }
    }

    /// The anomaly name, e.g. `truncated_tcp_header`, `ipv4_bad_header_length`.
    public var name: String { DecodeError.anomalyName(layer: layer, reason: reason) }

    public var description: String {
        switch reason {
        case .truncated: return "\(name): needed \(needed) bytes, \(available) available"
        default: return "\(name): expected at least \(needed), found \(available)"
        }
    }
}
