/// One scheduled thing: a packet to emit, or a scenario to wake. Ordered by time, then by insertion order,
/// so equal times keep a deterministic order.
struct Event {
    enum Kind: UInt8 { case tcp, udp, wake }
    var time: Double
    var order: UInt64
    var kind: Kind
    var flow: Int32
    var fromClient: Bool
    var flags: UInt8
    var length: Int32
    /// TCP: sender's stream offset of the first payload byte (SYN: the ISN itself). UDP: a content id or a media code.
    var seq: UInt64
    /// TCP: receiver's stream offset acknowledged.
    var ack: UInt64
    /// UDP: index into the engine's content store, or -1 for synthetic content.
    var content: Int32

    @inline(__always) func before(_ o: Event) -> Bool { time < o.time || (time == o.time && order < o.order) }
}

/// A binary min-heap of events.
struct EventHeap {
    private(set) var items: [Event] = []
    var count: Int { items.count }
    var isEmpty: Bool { items.isEmpty }

    mutating func push(_ e: Event) {
        items.append(e)
        var i = items.count - 1
        while i > 0 {
            let p = (i - 1) / 2
            if items[i].before(items[p]) { items.swapAt(i, p); i = p } else { break }
        }
    }

    mutating func pop() -> Event? {
        guard !items.isEmpty else { return nil }
        let top = items[0]
        let last = items.removeLast()
        if !items.isEmpty {
            items[0] = last
            var i = 0
            let n = items.count
            while true {
                let l = 2 * i + 1, r = l + 1
                var m = i
                if l < n && items[l].before(items[m]) { m = l }
                if r < n && items[r].before(items[m]) { m = r }
                if m == i { break }
                items.swapAt(i, m)
                i = m
            }
        }
        return top
    }

    var first: Event? { items.first }
}
