// The seed corpora of the fuzz targets (Fuzz/Targets), made with the project's own frame builder,
// pcap / pcapng writers and simulator, plus small hand-written model files and CSV tables.
// Usage: fuzz-seeds OUTPUT_DIR — writes OUTPUT_DIR/<target>/<name> for every target; the same
// bytes every time. Built and run by scripts/fuzz.sh; not part of the package build.
import Foundation
import Simulator
import Trees
import Wire

let output = CommandLine.arguments.count > 1 ? CommandLine.arguments[1] : "fuzz-seeds"
var written = 0

func seed(_ target: String, _ name: String, _ bytes: [UInt8]) {
    let dir = output + "/" + target
    try! FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
    _ = FileManager.default.createFile(atPath: dir + "/" + name, contents: Data(bytes))
    written += 1
}

func seed(_ target: String, _ name: String, _ text: String) { seed(target, name, Array(text.utf8)) }

// MARK: frames, one set per link layer

let client = IPAddress(192, 168, 1, 20)
let server = IPAddress(151, 101, 2, 133)
let resolver = IPAddress(192, 168, 1, 1)
let client6 = IPAddress("2001:db8:aa::20")!
let server6 = IPAddress("2a04:4e42::645")!

let hello = TLSBuilder.clientHello(serverName: "audio-ak-spotify-com.akamaized.net", seed: 1)
let helloPQ = TLSBuilder.clientHello(serverName: "audio4-fa.scdn.co", seed: 2, postQuantum: true)
let dnsAnswer = DNSBuilder.response(id: 7, question: "audio-ak-spotify-com.akamaized.net",
                                    answers: [.cname("audio-ak-spotify-com.akamaized.net", target: "a1.akamai.net"),
                                              .a("a1.akamai.net", server)])
let dnsAnswer6 = DNSBuilder.response(id: 8, question: "www.example.com", type: .aaaa,
                                     answers: [.aaaa("www.example.com", server6)])

/// Frames for a link layer; `ethernetOnly` adds what only Ethernet-like headers carry (ARP, VLAN tags).
func frames(_ link: LinkFields) -> [(String, [UInt8])] {
    var out: [(String, [UInt8])] = [
        ("tcp-syn", FrameBuilder.tcp(link: link, src: client, dst: server, srcPort: 50000, dstPort: 443, seq: 1, flags: .syn,
                                     options: [.mss(1460), .sackPermitted, .windowScale(7)],
                                     timestamps: TCPTimestamps(value: 1, echo: 0))),
        ("tcp-hello", FrameBuilder.tcp(link: link, src: client, dst: server, srcPort: 50000, dstPort: 443, seq: 2, ack: 1,
                                       flags: [.ack, .psh], payload: hello)),
        ("tcp6-hello-pq", FrameBuilder.tcp(link: link, src: client6, dst: server6, srcPort: 50001, dstPort: 443, seq: 2, ack: 1,
                                           flags: [.ack, .psh], payload: helloPQ)),
        ("udp-dns-answer", FrameBuilder.udp(link: link, src: resolver, dst: client, srcPort: 53, dstPort: 40000, payload: dnsAnswer)),
        ("udp6-dns-answer", FrameBuilder.udp(link: link, src: server6, dst: client6, srcPort: 53, dstPort: 40001, payload: dnsAnswer6)),
        ("udp-quic", FrameBuilder.udp(link: link, src: client, dst: server, srcPort: 51000, dstPort: 443,
                                      payload: [0xC3, 0, 0, 0, 1] + [UInt8](repeating: 0x5A, count: 60))),
        ("icmp-echo", FrameBuilder.icmpEcho(link: link, src: client, dst: server, identifier: 1, sequence: 1, payload: [1, 2, 3, 4])),
        ("ipv4-options", FrameBuilder.udp(link: link, src: client, dst: server, ip: IPFields(ipv4Options: [0x94, 0x04, 0, 0]),
                                          srcPort: 1, dstPort: 2, payload: [9, 9])),
        ("ipv6-ext", FrameBuilder.udp(link: link, src: client6, dst: server6,
                                      ip: IPFields(ipv6ExtensionHeaders: [.hopByHop(), .destinationOptions(), .routing(type: 0, segmentsLeft: 0)]),
                                      srcPort: 3, dstPort: 4, payload: [7])),
    ]
    let fragments = FrameBuilder.fragments(link: link, src: client, dst: server, ip: IPFields(dontFragment: false),
                                           protocolNumber: .udp, identification: 9, datagram: FrameBuilder.udpDatagram(
                                               src: client, dst: server, srcPort: 5, dstPort: 6, payload: [UInt8](repeating: 1, count: 100)),
                                           fragmentSize: 48)
    for (i, f) in fragments.prefix(2).enumerated() { out.append(("ipv4-fragment-\(i)", f)) }
    out.append(("ipv6-fragment", FrameBuilder.udp(link: link, src: client6, dst: server6,
                                                  ip: IPFields(ipv6ExtensionHeaders: [.fragment(offset: 0, moreFragments: true, identification: 3)]),
                                                  srcPort: 7, dstPort: 8, payload: [1, 2, 3])))
    if case .ethernet = link {
        out.append(("arp", FrameBuilder.arp(operation: .request, senderMAC: .host, senderIP: client, targetIP: resolver)))
        out.append(("vlan", FrameBuilder.tcp(link: .ethernet(vlans: [5]), src: client, dst: server, srcPort: 50000, dstPort: 443, seq: 2,
                                             ack: 1, flags: .ack, payload: hello)))
        out.append(("qinq", FrameBuilder.udp(link: .ethernet(vlans: [VLANTagFields(id: 100, tpid: .qinq), 5]), src: resolver,
                                             dst: client, srcPort: 53, dstPort: 40000, payload: dnsAnswer)))
    }
    return out
}

let links: [(String, LinkFields)] = [
    ("ethernet", .ethernet()), ("sll", .linuxCooked()), ("sll2", .linuxCooked2()), ("raw", .raw), ("loopback", .null),
]
for (name, link) in links {
    for (frameName, frame) in frames(link) { seed("decode-" + name, frameName, frame) }
}

// MARK: capture files

/// A pcap in memory (little endian, as PcapWriter writes it).
func pcap(_ link: LinkFields, nanosecond: Bool = false, snaplen: UInt32 = 262_144, cut: Int? = nil) -> [UInt8] {
    let w = PcapWriter.memory(linkType: link.linkType, nanosecond: nanosecond, snaplen: snaplen)
    var t = 1_700_000_000.25
    for (_, f) in frames(link) {
        t += 0.01
        if let cut, f.count > cut {
            try! w.write(timestamp: t, frame: Array(f.prefix(cut)), originalLength: f.count)
        } else {
            try! w.write(timestamp: t, frame: f)
        }
    }
    return w.bytes
}

/// The same file in big-endian byte order (what a big-endian machine writes).
func bigEndian(_ le: [UInt8]) -> [UInt8] {
    var b = le
    func swap(_ at: Int, _ n: Int) { b.replaceSubrange(at..<at + n, with: b[at..<at + n].reversed()) }
    swap(0, 4); swap(4, 2); swap(6, 2); swap(8, 4); swap(12, 4); swap(16, 4); swap(20, 4)
    var at = 24
    while at + 16 <= b.count {
        let caplen = Int(le[at + 8]) | Int(le[at + 9]) << 8 | Int(le[at + 10]) << 16 | Int(le[at + 11]) << 24
        for field in 0..<4 { swap(at + 4 * field, 4) }
        at += 16 + caplen
    }
    return b
}

for (name, link) in links { seed("capture-file", "pcap-\(name)", pcap(link)) }
seed("capture-file", "pcap-ethernet-ns", pcap(.ethernet(), nanosecond: true))
seed("capture-file", "pcap-ethernet-snap64", pcap(.ethernet(), snaplen: 64, cut: 64))
seed("capture-file", "pcap-ethernet-big-endian", bigEndian(pcap(.ethernet())))

/// A pcapng in memory with these interfaces; frame i goes to interface i % count.
func pcapng(_ interfaces: [(LinkFields, UInt32, Bool)]) -> [UInt8] {
    let w = PcapngWriter.memory(interfaces: interfaces.map { .init(linkType: $0.0.linkType, snaplen: $0.1, name: "if\($0.0.linkType)", nanosecond: $0.2) })
    var t = 1_700_000_000.5
    let perInterface = interfaces.map { frames($0.0) }
    for i in 0..<12 {
        let k = i % interfaces.count
        let list = perInterface[k]
        t += 0.02
        let f = list[i % list.count].1
        let snap = Int(interfaces[k].1)
        try! w.write(timestamp: t, frame: Array(f.prefix(snap)), originalLength: f.count, interface: k)
    }
    return w.bytes
}

let pcapngSeeds: [(String, [UInt8])] = [
    ("pcapng-ethernet", pcapng([(.ethernet(), 262_144, false)])),
    ("pcapng-ethernet-ns", pcapng([(.ethernet(), 262_144, true)])),
    ("pcapng-two-snaplens", pcapng([(.ethernet(), 262_144, false), (.ethernet(), 96, true)])),
    ("pcapng-ethernet-sll", pcapng([(.ethernet(), 262_144, false), (.linuxCooked(), 262_144, false)])),
    ("pcapng-raw-sll2-null", pcapng([(.raw, 1500, false), (.linuxCooked2(), 262_144, true), (.null, 262_144, false)])),
]
for (name, bytes) in pcapngSeeds {
    seed("capture-file", name, bytes)
    seed("pcapng-fallback", name, bytes)
}

/// A few seconds of simulated traffic, kept to its first records (the fuzzer works on small inputs).
func simulated(_ profile: String, seed: UInt64, ipv6: Bool = false, header: SimulationOptions.LinkHeader = .ethernet, limit: Int = 24_000) -> [UInt8] {
    let options = SimulationOptions(ipv6: ipv6, linkHeader: header)
    let w = PcapWriter.memory(linkType: options.linkType, nanosecond: options.nanosecond, snaplen: options.snaplen)
    _ = try! Session(profile: Profile(parsing: profile)!, background: [.dns, .web], duration: 3, seed: seed, options: options).run(writer: w)
    let bytes = w.bytes
    var end = 24
    while end + 16 <= bytes.count {
        let caplen = Int(bytes[end + 8]) | Int(bytes[end + 9]) << 8 | Int(bytes[end + 10]) << 16 | Int(bytes[end + 11]) << 24
        if end + 16 + caplen > limit { break }
        end += 16 + caplen
    }
    return Array(bytes.prefix(end))
}
seed("capture-file", "sim-spotify-high", simulated("spotify:high", seed: 1))
seed("capture-file", "sim-spotify-ipv6-sll2", simulated("spotify:normal", seed: 2, ipv6: true, header: .cooked2))
seed("capture-file", "sim-video-web-sll", simulated("video:web", seed: 3, header: .cooked))

// The whole pipeline (analyze-capture): the first byte picks the scope (0 streams, 1 reference, 2 all).
do {
    let dir = output + "/capture-file"
    for (i, name) in try! FileManager.default.contentsOfDirectory(atPath: dir).sorted().enumerated() {
        let bytes = [UInt8](FileManager.default.contents(atPath: dir + "/" + name)!)
        seed("analyze-capture", name, [UInt8(i % 3)] + bytes)
    }
    // Long enough for the stream stage (a 30 s session), small enough for the fuzzer: frames cut to 64 bytes.
    let options = SimulationOptions(snaplen: 64)
    let w = PcapWriter.memory(linkType: options.linkType, snaplen: options.snaplen)
    _ = try! Session(profile: Profile(parsing: "spotify:low")!, download: .paced, duration: 35, seed: 5, options: options).run(writer: w)
    seed("analyze-capture", "sim-spotify-low-35s-snap64", [0] + w.bytes)
}

// MARK: DNS and TLS payloads

seed("dns-message", "a-cname", dnsAnswer)
seed("dns-message", "aaaa", dnsAnswer6)
seed("dns-message", "query", DNSBuilder.query(id: 1, name: "audio4-fa.scdn.co"))
seed("dns-message", "long-chain", DNSBuilder.response(id: 9, question: "a.example", answers: [
    .cname("a.example", target: "b.example"), .cname("b.example", target: "c.example"),
    .cname("c.example", target: "d.example"), .a("d.example", server), .a("d.example", client), .aaaa("d.example", server6),
]))
seed("dns-message", "no-answer", DNSBuilder.response(id: 10, question: "nothing.example", answers: []))

seed("tls-client-hello", "hello", hello)
seed("tls-client-hello", "hello-pq", helloPQ)
seed("tls-client-hello", "hello-no-alpn-padded", TLSBuilder.clientHello(serverName: "x.example", seed: 3, alpn: [], extraPadding: 300))
seed("tls-client-hello", "server-hello", TLSBuilder.serverHello(seed: 4))
// A hello spread over two records, as some clients send a post-quantum hello.
do {
    let handshake = Array(helloPQ.dropFirst(5))
    let half = handshake.count / 2
    let split = TLSBuilder.recordHeader(type: 22, length: half) + handshake.prefix(half)
        + TLSBuilder.recordHeader(type: 22, length: handshake.count - half) + handshake.dropFirst(half)
    seed("tls-client-hello", "hello-two-records", split)
}

// MARK: model files (hand-written, small; the format is models/README.md)

let tree = #"{"feature":[0,1,-1,-1,-1],"threshold":[0.5,10.0,0,0,0],"left":[1,2,-1,-1,-1],"right":[4,3,-1,-1,-1],"missing_left":[1,0,0,0,0],"value":[0,0,0,0,3,1,1,3,2,2]}"#
let models: [(String, String)] = [
    ("decision-tree", #"{"format":"streamprobe-model","format_version":1,"name":"dt","task":"fixture","classes":["a","b"],"feature_set":"custom","features":["x","y"],"ensemble":{"kind":"decision_tree","comparison":"<=","aggregation":"mean_distribution","trees":["# + tree + "]}}"),
    ("forest-scaler-window", #"{"format":"streamprobe-model","format_version":1,"name":"rf","task":"fixture","description":"two trees","classes":["a","b"],"feature_set":"custom","features":["x","y"],"window":{"seconds":3.0,"step":3.0,"min_packets":15,"burst_gap":0.03,"context_seconds":0,"policy":"tumbling"},"scaler":{"mean":[1.0,2.0],"scale":[0.5,4.0]},"selection":{"service_patterns":["audio*.scdn.co","*.example"],"unit":"session"},"card":{"date":"2026-01-01","limits":"none"},"ensemble":{"kind":"random_forest","comparison":"<=","feature_precision":"float32","aggregation":"mean_distribution","trees":["# + tree + "," + tree + "]}}"),
    ("boosted-softmax", #"{"format":"streamprobe-model","format_version":1,"name":"xgb","task":"fixture","classes":["a","b","c"],"feature_set":"custom","features":["x"],"ensemble":{"kind":"gradient_boosting","comparison":"<","aggregation":"margin_softmax","base_score":[0.5,0.5,0.5],"trees":[{"feature":[0,-1,-1],"threshold":[1.5,0,0],"left":[1,-1,-1],"right":[2,-1,-1],"missing_left":[1,0,0],"value":[0,0.3,-0.2],"output_class":0},{"feature":[-1],"threshold":[0],"left":[-1],"right":[-1],"missing_left":[0],"value":[0.1],"output_class":2}]}}"#),
    ("boosted-sigmoid", #"{"format":"streamprobe-model","format_version":1,"name":"xgb2","task":"fixture","classes":["no","yes"],"feature_set":"custom","features":["x","y"],"ensemble":{"kind":"gradient_boosting","comparison":"<","aggregation":"margin_sigmoid","base_score":[0.0],"trees":[{"feature":[1,-1,-1],"threshold":[-2.5e3,0,0],"left":[1,-1,-1],"right":[2,-1,-1],"missing_left":[0,0,0],"value":[0,-1.25,1.5]}]}}"#),
    ("decision-temporal-rules", #"{"format":"streamprobe-model","format_version":1,"name":"full","task":"flow-is-spotify","classes":["other","spotify","video"],"feature_set":"custom","features":["x","y"],"decision":{"version":1,"groups":{"not_audio":["video"]},"named_excludes":["video"],"calibration":{"method":"isotonic","x":[0.0,0.5,1.0],"y":[0.1,0.4,0.95],"fitted_on":"seeds"},"between_below":0.5},"temporal":{"kind":"moving_mean","windows":3,"alignment":"centred"},"flow_rules":{"positive_class":"spotify","name_patterns":["*.spotify.com"],"ports":[{"protocol":"udp","port":57621,"note":"lan"},{"protocol":"tcp","port":4070}]},"ensemble":{"kind":"random_forest","comparison":"<=","aggregation":"mean_distribution","trees":[{"feature":[0,-1,-1],"threshold":[0.5,0,0],"left":[1,-1,-1],"right":[2,-1,-1],"missing_left":[0,0,0],"value":[0,0,0,1,2,3,3,2,1]}]}}"#),
    ("stream-model", #"{"format":"streamprobe-model","format_version":1,"name":"two-stage","task":"audio-quality","classes":["low","high"],"feature_set":"stream-v1","features":["bytes_per_second"],"stream_model":{"format":"streamprobe-model","format_version":1,"name":"stage","task":"audio-quality","classes":["low","high"],"feature_set":"summary-v1","features":["wm_p_low","wm_p_high"],"decision":{"version":1,"calibration":{"method":"identity"}},"ensemble":{"kind":"decision_tree","comparison":"<=","aggregation":"mean_distribution","trees":[{"feature":[0,-1,-1],"threshold":[0.5,0,0],"left":[1,-1,-1],"right":[2,-1,-1],"missing_left":[1,0,0],"value":[0,0,1,0,0,1]}]}},"ensemble":{"kind":"decision_tree","comparison":"<=","aggregation":"mean_distribution","trees":[{"feature":[0,-1,-1],"threshold":[1000.0,0,0],"left":[1,-1,-1],"right":[2,-1,-1],"missing_left":[1,0,0],"value":[0,0,1,0,0,1]}]}}"#),
    ("escapes-and-numbers", #"{"format":"streamprobe-model","format_version":1,"name":"esc\u00e9\"\\\/\n","task":"t","classes":["\ud83c\udfb5","b"],"feature_set":"custom","features":["x"],"card":{"n":[-0.0,1e-300,1.7976931348623157e308,123456789012345678901234567890,true,false,null,{"":[]}]},"ensemble":{"kind":"decision_tree","comparison":"<=","aggregation":"mean_distribution","trees":[{"feature":[-2],"threshold":[0],"left":[-1],"right":[-1],"missing_left":[0],"value":[1,1]}]}}"#),
]
for (name, text) in models {
    seed("model-reader", name + ".json", text)
    // The compiled form of the same model (models/README.md): the reader tells the two apart by their first bytes.
    if let compiled = try? CompiledModel.compile(json: Data(text.utf8), source: name) {
        seed("model-reader", name + ".spmodel", [UInt8](compiled))
    }
}

// MARK: CSV tables (hand-written, small; as `streamprobe features --label` writes them, and as pandas does)

let tables: [(String, String)] = [
    ("features", "capture,unit,window_index,start_s,end_s,packets,skipped,bytes_per_second,mean_pkt_size,label\na.pcap,u,0,0.0,3.0,20,0,1000.5,800,high\na.pcap,u,1,3.0,6.0,2,1,,,high\nb.pcap,u,0,0.0,3.0,40,0,2e3,1.5E2,low\n"),
    ("pandas-index-crlf", ",x,y,label\r\n0,1,2,a\r\n1,3,4,b\r\n2,NaN,inf,a\r\n"),
    ("quoted", "\"a,b\",\"say \"\"hi\"\"\",label,group\n1,2,\"x\ny\",g1\n-1.5,+2,z,g2\n"),
    ("no-label", "x,y\n1,2\n3,4\n"),
    ("ragged", "x,label\n1,a\n2\n"),
    ("bom-trailing", "\u{FEFF}x,label\n1,a\n2,b"),
]
for (name, text) in tables { seed("csv-table", name + ".csv", text) }

print("wrote \(written) seeds to \(output)")
