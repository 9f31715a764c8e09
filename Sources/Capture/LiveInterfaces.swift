import CPcap
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// The interfaces libpcap can capture on, and the default choice.
extension LiveSource {
    struct InterfaceInfo {
        var name: String
        var flags: UInt32
        var hasAddresses: Bool

        /// D-Bus, Bluetooth, USB and netfilter-queue capture devices.
        var isMonitorDevice: Bool {
            ["nflog", "nfqueue", "dbus", "usbmon", "bluetooth"].contains { name.hasPrefix($0) }
        }
    }

    static func interfaceList() throws(CaptureError) -> [InterfaceInfo] {
        var list: UnsafeMutablePointer<pcap_if_t>? = nil
        try PcapHandle.withErrorBuffer { (errbuf) throws(CaptureError) -> Void in
            if pcap_findalldevs(&list, errbuf) != 0 {
                throw CaptureError(.interfaceUnusable, source: "interfaces", message: "cannot list interfaces: \(String(cString: errbuf))")
            }
        }
        defer { if let list { pcap_freealldevs(list) } }
        var result: [InterfaceInfo] = []
        var node = list
        while let n = node {
            result.append(InterfaceInfo(name: String(cString: n.pointee.name), flags: n.pointee.flags,
                                        hasAddresses: n.pointee.addresses != nil))
            node = n.pointee.next
        }
        return result
    }

    /// The names of the interfaces libpcap can capture on (empty if they cannot be listed).
    /// Leaves out the devices that never carry network traffic (D-Bus, Bluetooth, USB monitors,
    /// netfilter queues); they can still be named explicitly.
    public static func availableInterfaces() -> [String] {
        ((try? interfaceList()) ?? []).filter { !$0.isMonitorDevice }.map(\.name)
    }

    /// Devices skipped when choosing the default interface.
    private static let pseudoDevicePrefixes = ["any", "nflog", "nfqueue", "dbus", "usbmon", "bluetooth", "dpdk"]

    /// The first interface that is up, running and not loopback, preferring those with addresses.
    static func defaultInterface(_ interfaces: [InterfaceInfo]) throws(CaptureError) -> String {
        let candidates = interfaces.filter { i in
            i.flags & UInt32(PCAP_IF_UP) != 0 && i.flags & UInt32(PCAP_IF_RUNNING) != 0
                && i.flags & UInt32(PCAP_IF_LOOPBACK) == 0
                && !pseudoDevicePrefixes.contains { i.name.hasPrefix($0) }
        }
        if let best = candidates.first(where: \.hasAddresses) ?? candidates.first { return best.name }
        throw CaptureError(.interfaceUnusable, source: "interfaces",
                           message: "no interface is up and running (available: \(listText(interfaces))); choose one with -i")
    }

    /// The interfaces a live capture can open, one line each as `tcpdump -D` prints them:
    /// `1.eth0 [Up, Running]` (monitor devices such as nflog and usbmon left out).
    public static func interfaceLines() throws(CaptureError) -> [String] {
        let shown = try interfaceList().filter { !$0.isMonitorDevice }
        return shown.enumerated().map { i, f in
            var flags: [String] = []
            if f.flags & UInt32(PCAP_IF_UP) != 0 { flags.append("Up") }
            if f.flags & UInt32(PCAP_IF_RUNNING) != 0 { flags.append("Running") }
            if f.flags & UInt32(PCAP_IF_LOOPBACK) != 0 { flags.append("Loopback") }
            return "\(i + 1).\(f.name)" + (flags.isEmpty ? "" : " [\(flags.joined(separator: ", "))]")
        }
    }

    /// "eth0, any, lo, ifb0 (down)": the capturable interfaces for an error message.
    static func listText(_ interfaces: [InterfaceInfo]) -> String {
        let shown = interfaces.filter { !$0.isMonitorDevice }
        if shown.isEmpty { return "none" }
        return shown.map { $0.flags & UInt32(PCAP_IF_UP) == 0 ? "\($0.name) (down)" : $0.name }.joined(separator: ", ")
    }
}
