import Features
import Flows
import Trees
import Wire

/// Streams chosen by download volume, followed in the same pass as everything else.
///
/// `StreamSelection` chooses a client's stream from whole flows (their download bytes and
/// durations), which are known only at the capture's end. Reading the capture a second time for
/// the chosen flows' packets would make standard input and live capture wait for the end, so
/// instead, while no flow has carried one of the model's service names:
/// - every flow that could be chosen (TCP or UDP, not DNS / NTP / DHCP / SSDP… ports; unnamed,
///   unless the model declares no names) is a candidate of its client, and its packets wait
///   `delay` seconds in one time-ordered queue;
/// - a candidate joins its client's unit as soon as it has brought `minimumFlowBytes` of download
///   and at least `mergeFraction` of the client's largest candidate so far (the rule's own
///   thresholds, applied as the bytes come);
/// - a packet leaving the queue feeds its client's unit if its flow has joined by then, and is
///   dropped otherwise. A media flow passes 64 kB within a second, so it joins with all its packets.
///
/// At the end `StreamSelection.fallbackStreams` decides on the whole flows as before. A client's
/// unit *is* that decision when it holds exactly the chosen flows, each from its first packet:
/// then nothing is read twice (the usual case: a VPN tunnel, a client's track connections).
/// Otherwise (a small flow that joined early and ended under a quarter of the largest, a flow
/// that qualified only after its first packets left the queue, a flow shorter than half the
/// longest for a model without names) the analyzer reads the file again for that client; from a
/// pipe or a live interface it keeps this unit and says how it differs.
///
/// Memory: the queue (a ring of at most `maximumQueued` packets, 32 bytes each; beyond, the oldest leave early and their
/// flows, if they join later, count as incomplete), a few bytes per live flow, an entry per client
/// with a flow of `minimumFlowBytes`, and one unit per client with a joined flow.
/// Once a flow matches the service names, following stops and everything here is dropped.
final class VolumeStreams {
    /// How long a packet waits for its flow to qualify, seconds: from a file or a pipe. The longer the
    /// wait, the later a flow may qualify and still join its unit from its first packet.
    static let fileDelay = 10.0
    /// The wait in a live capture, where window lines must come within a second of the window's end:
    /// a flow that qualifies later than this joins without its first packets (the report says so).
    static let liveDelay = 0.5
    /// This reading's wait (`fileDelay` or `liveDelay`).
    let delay: Double
    /// 4 MB of queued packets (32 bytes each); a busier link waits less than `delay`.
    static let maximumQueued = 131_072

    /// A candidate's packet waiting in the queue: its `PacketSample` packed into 32 bytes (frame and
    /// payload lengths come from 32-bit and 16-bit header fields).
    struct Queued {
        var time: Double
        var flowID: UInt64
        var frameLength: UInt32
        var payloadLength: Int32
        var flowIndex: Int32
        var direction: PacketDirection
        var isIPv4: Bool
        var ipProtocol: UInt8
        /// A FIN from the client (a track's connection closing: the plays estimator reads it).
        var clientFin: Bool

        @inline(__always)
        init(sample: PacketSample, flowID: UInt64, flowIndex: Int32, clientFin: Bool) {
            time = sample.time
            self.flowID = flowID
            frameLength = UInt32(clamping: sample.frameLength)
            payloadLength = Int32(clamping: sample.payloadLength)
            self.flowIndex = flowIndex
            direction = sample.direction
            isIPv4 = sample.isIPv4
            ipProtocol = sample.ipProtocol
            self.clientFin = clientFin
        }

        var sample: PacketSample {
            PacketSample(time: time, frameLength: Int(frameLength), direction: direction, isIPv4: isIPv4,
                         ipProtocol: ipProtocol, payloadLength: Int(payloadLength))
        }
    }

    /// The delay queue: a ring of at most `maximumQueued` entries (grown by doubling up to it), so
    /// its memory never exceeds `maximumQueued` entries whatever the input.
    struct Ring {
        private var storage: ContiguousArray<Queued> = []
        private var first = 0
        private(set) var count = 0

        var isEmpty: Bool { count == 0 }

        /// The oldest entry (the ring must not be empty).
        @inline(__always)
        var front: Queued { storage[first] }

        @inline(__always)
        mutating func popFront() -> Queued {
            let q = storage[first]
            first = first + 1 == storage.count ? 0 : first + 1
            count -= 1
            if count == 0 { first = 0 }
            return q
        }

        @inline(__always)
        mutating func append(_ q: Queued) {
            if count == storage.count { grow(filler: q) }
            var i = first + count
            if i >= storage.count { i -= storage.count }
            storage[i] = q
            count += 1
        }

        /// Doubles the ring (up to `maximumQueued`), oldest entry first; free places hold `filler`.
        private mutating func grow(filler: Queued) {
            let capacity = min(max(storage.count * 2, 1024), VolumeStreams.maximumQueued)
            precondition(capacity > count, "volume streams: the delay queue is full")
            // The live entries in two contiguous runs (from `first` to the end, then the wrapped part),
            // not one element at a time with a division each; then the filler in one loop.
            let firstRun = min(count, storage.count - first)
            let count = self.count, start = self.first
            let grown = storage.withUnsafeBufferPointer { old in
                ContiguousArray<Queued>(unsafeUninitializedCapacity: capacity) { new, initialized in
                    let base = new.baseAddress!
                    if count > 0 {
                        base.initialize(from: old.baseAddress! + start, count: firstRun)
                        (base + firstRun).initialize(from: old.baseAddress!, count: count - firstRun)
                    }
                    (base + count).initialize(repeating: filler, count: capacity - count)
                    initialized = capacity
                }
            }
            storage = grown
            first = 0
        }

        mutating func removeAll() {
            storage = []
            first = 0
            count = 0
        }
    }

    /// One client's candidates and unit.
    final class Client {
        let address: IPAddress
        var unit: StreamUnit?
        /// The most download bytes of one of its candidates so far.
        var largest = 0
        /// The flows that joined the unit.
        var joined: Set<UInt64> = []
        /// Flows that joined although some of their packets had already left the queue.
        var incomplete = 0
        /// Joined flows that later turned out not to be candidates (a name appeared).
        var withdrawn = 0
        /// The longest-lived candidate that ended so far, seconds.
        var longestEnded = 0.0
        /// Reading the file again for this client is certain (the unit cannot be the rule's choice):
        /// it is no longer fed. Only when the input can be read again.
        var abandoned = false
        init(address: IPAddress) { self.address = address }
    }

    let selection: StreamSelection
    /// The model declares no service names: named flows are candidates too.
    let namedToo: Bool
    let plan: FeaturePlan
    let model: TreeModel?
    /// Observers get the units' windows, rows, sessions and plays as they happen (live capture, a
    /// pipe); otherwise they are kept and handed on at the end for the units that are the answer.
    let passThrough: Bool
    /// The input can be read again (a file): a unit that cannot be the rule's choice is dropped early.
    let canReread: Bool
    private let observers: Observers
    private(set) var active = true
    /// The capture's first packet time (window times are relative to it).
    var captureStart = 0.0
    private(set) var clients: [Client] = []
    private var clientOf: [IPAddress: Int32] = [:]
    private var queue = Ring()
    /// By flow index: the id of the candidate flow last offered there, and whether it joined
    /// (indices are reused after a flow ends; a queued packet of an older flow is looked up by id).
    private var slotFlow: [UInt64] = []
    private var slotClient: [Int32] = []
    private var slotJoined: [Bool] = []
    /// Every flow that joined a unit, by id: its client.
    private var joinedFlows: [UInt64: Int32] = [:]
    /// Packets up to this time have left the queue.
    private(set) var releasedUpTo = -Double.infinity
    /// Observer calls of the units, in the order they happened, when not passed through.
    private var events: [(client: Int32, call: Event)] = []

    enum Event {
        case window(String, WindowReport)
        case row(String, WindowResult)
        case session(String, Int, Double, Double, Int, [Double])
        case play(String, PlayReport)
    }

    init(selection: StreamSelection, namedToo: Bool, plan: FeaturePlan, model: TreeModel?, observers: Observers,
         passThrough: Bool, canReread: Bool, live: Bool = false) {
        self.delay = live ? Self.liveDelay : Self.fileDelay
        self.canReread = canReread
        self.selection = selection
        self.namedToo = namedToo
        self.plan = plan
        self.model = model
        self.observers = observers
        self.passThrough = passThrough
    }

    /// Whether a new flow could be chosen by volume (its client gets an entry only once one of its
    /// flows has `minimumFlowBytes` of download: a scan of a million addresses makes no entries).
    func isCandidate(_ record: FlowRecord) -> Bool {
        active && !StreamSelection.ignoredPorts.contains(record.serverPort) && !StreamSelection.ignoredPorts.contains(record.clientPort)
    }

    private func client(for address: IPAddress) -> Int32 {
        if let c = clientOf[address] { return c }
        clients.append(Client(address: address))
        let c = Int32(clients.count - 1)
        clientOf[address] = c
        return c
    }

    /// A candidate's packet: queued. Returns the client whose unit the flow joins with this packet.
    @inline(__always)
    func offer(_ sample: PacketSample, flowID: UInt64, downloadBytes bytes: Int, firstTime: Double, index: Int,
               clientAddress: @autoclosure () -> IPAddress, clientFin: Bool) -> Int32? {
        if index >= slotFlow.count {
            let count = (index + 1024) & ~1023   // as far as the flow indices go (FirstPass.growRoutes)
            slotFlow += repeatElement(0, count: count - slotFlow.count)
            slotClient += repeatElement(-1, count: count - slotClient.count)
            slotJoined += repeatElement(false, count: count - slotJoined.count)
        }
        if slotFlow[index] != flowID {
            slotFlow[index] = flowID
            slotClient[index] = -1
            slotJoined[index] = false
        }
        var joins: Int32?
        if bytes >= selection.minimumFlowBytes {
            if slotClient[index] < 0 { slotClient[index] = client(for: clientAddress()) }
            let c = slotClient[index]
            let client = clients[Int(c)]
            if bytes > client.largest { client.largest = bytes }
            if client.abandoned { return nil }
            if !slotJoined[index], Double(bytes) >= selection.mergeFraction * Double(client.largest) {
                joins = c
                slotJoined[index] = true
                client.joined.insert(flowID)
                joinedFlows[flowID] = c
                if client.unit == nil { client.unit = makeUnit(for: c) }
                if firstTime <= releasedUpTo {
                    // Its first packets left the queue before it qualified: the unit lacks them.
                    client.incomplete += 1
                    abandonIfRereadable(client)
                    if client.abandoned { return joins }
                }
            }
        }
        if queue.count >= Self.maximumQueued { release(upTo: queue.front.time) }
        queue.append(Queued(sample: sample, flowID: flowID, flowIndex: Int32(index), clientFin: clientFin))
        return joins
    }

    /// A joined flow got a name that is not the service's: it is no candidate after all.
    func withdraw(client c: Int32) {
        clients[Int(c)].withdrawn += 1
        abandonIfRereadable(clients[Int(c)])
    }

    /// A flow ended. A joined one that the rule will certainly leave out (under a quarter of the
    /// client's largest candidate, which can only grow; for a model without names, shorter than half
    /// of a candidate that already lasted longer) means the unit cannot be the rule's choice.
    func flowEnded(_ record: FlowRecord) {
        guard active, let c = clientOf[record.clientAddress] else { return }
        let client = clients[Int(c)]
        let bytes = Int(record.toClient.bytes)
        guard bytes >= selection.minimumFlowBytes, !StreamSelection.ignoredPorts.contains(record.serverPort),
              !StreamSelection.ignoredPorts.contains(record.clientPort) else { return }
        if client.joined.contains(record.id) {
            let outshone = !namedToo && Double(bytes) < selection.mergeFraction * Double(client.largest)
            let short = namedToo && record.duration < selection.longLivedFraction * client.longestEnded
            if outshone || short { abandonIfRereadable(client) }
        }
        client.longestEnded = max(client.longestEnded, record.duration)
    }

    private func abandonIfRereadable(_ client: Client) {
        // A file only: live lines keep coming for every followed client, a pipe keeps what it followed.
        guard canReread, !passThrough, !client.abandoned else { return }
        client.abandoned = true
        client.unit = nil
    }

    /// `release(upTo:)` when a queued packet is due (the per-packet check).
    @inline(__always)
    func releaseIfDue(now: Double) {
        if !queue.isEmpty, queue.front.time <= now - delay { release(upTo: now - delay) }
    }

    /// Feeds the units with the queued packets up to `time` (those of flows that joined by now).
    func release(upTo time: Double) {
        while !queue.isEmpty, queue.front.time <= time {
            let q = queue.popFront()
            let index = Int(q.flowIndex)
            var c: Int32 = -1
            if slotFlow[index] == q.flowID {
                if slotJoined[index] { c = slotClient[index] }
            } else if let joined = joinedFlows[q.flowID] {
                c = joined   // the flow ended and its index was reused
            }
            guard c >= 0, let unit = clients[Int(c)].unit else { continue }
            unit.add(q.sample)
            if q.clientFin { unit.plays.addClientClose(time: q.time) }
        }
        releasedUpTo = max(releasedUpTo, time)
    }

    /// Windows of silent units that ended by `time` (live: printed as they complete).
    func advanceClock(to time: Double) {
        for client in clients { client.unit?.advanceClock(to: time) }
    }

    /// A flow carried one of the service names: streams will not be chosen by volume.
    func stop() {
        active = false
        clients = []
        clientOf = [:]
        queue.removeAll()
        slotFlow = []
        slotClient = []
        slotJoined = []
        joinedFlows = [:]
        events = []
    }

    /// The end of the capture: every queued packet goes, every unit ends at `captureEnd`.
    func finish(captureEnd: Double?) {
        guard active else { return }
        release(upTo: .infinity)
        for client in clients { client.unit?.finish(captureEnd: captureEnd) }
    }

    /// The client's unit when it holds exactly `flows` (the selection's choice), each whole.
    func unit(holdingExactly flows: [FlowRecord], of address: IPAddress) -> StreamUnit? {
        guard active, let c = clientOf[address] else { return nil }
        let client = clients[Int(c)]
        guard let unit = client.unit, !client.abandoned, client.incomplete == 0, client.withdrawn == 0,
              client.joined == Set(flows.map(\.id)) else { return nil }
        return unit
    }

    /// The client's unit whatever it holds (a pipe or live capture cannot be read again), and how
    /// it differs from the selection's choice; nil when it has none.
    func closestUnit(to flows: [FlowRecord], of address: IPAddress) -> (unit: StreamUnit, difference: String)? {
        guard active, let c = clientOf[address], let unit = clients[Int(c)].unit else { return nil }
        let client = clients[Int(c)]
        let chosen = Set(flows.map(\.id))
        var parts: [String] = []
        let extra = client.joined.subtracting(chosen).count
        let missing = chosen.subtracting(client.joined).count
        if extra > 0 { parts.append("\(extra) flow(s) the rule leaves out at the end") }
        if missing > 0 { parts.append("without \(missing) chosen flow(s)") }
        if client.incomplete > 0 { parts.append("\(client.incomplete) flow(s) without their first packets") }
        if client.withdrawn > 0 { parts.append("\(client.withdrawn) flow(s) that later carried another service's name") }
        return (unit, parts.joined(separator: ", "))
    }

    /// Hands the kept observer calls of these units on, in the order they happened.
    func replay(for units: [StreamUnit]) {
        guard !passThrough, !events.isEmpty else { return }
        let wanted = Set(clients.indices.filter { i in units.contains { $0 === clients[i].unit } }.map(Int32.init))
        for (c, call) in events where wanted.contains(c) {
            switch call {
            case .window(let label, let w): observers.onWindow?(label, w)
            case .row(let label, let r): observers.onRow?(label, r)
            case .session(let label, let i, let s, let e, let p, let v): observers.onSession?(label, i, s, e, p, v)
            case .play(let label, let p): observers.onPlay?(label, p)
            }
        }
        events = []
    }

    private func makeUnit(for c: Int32) -> StreamUnit {
        let address = clients[Int(c)].address
        var unitObservers = observers
        unitObservers.onCaptureStart = nil
        if !passThrough {
            // Kept until the end: only the units that are the answer hand them on.
            if observers.onWindow != nil {
                unitObservers.onWindow = { [unowned self] label, w in self.events.append((c, .window(label, w))) }
            }
            if observers.onRow != nil {
                unitObservers.onRow = { [unowned self] label, r in self.events.append((c, .row(label, r))) }
            }
            if observers.onSession != nil {
                unitObservers.onSession = { [unowned self] label, i, s, e, p, v in self.events.append((c, .session(label, i, s, e, p, v))) }
            }
            if observers.onPlay != nil {
                unitObservers.onPlay = { [unowned self] label, p in self.events.append((c, .play(label, p))) }
            }
        }
        let unit = StreamUnit(client: address, label: address.description, selection: "", plan: plan, model: model,
                              observers: unitObservers)
        unit.captureStart = captureStart
        return unit
    }
}
