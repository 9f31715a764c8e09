/// How a model's class probabilities become an answer people can trust (`decision` in a model
/// file, version 1; documented in models/README.md):
///
/// - `groups`: outcomes that gather several model classes. The quality model's stream stage has
///   the classes `video`, `call`, `download`, `browsing` besides the five tiers; they are reported as
///   one outcome, `not_audio`, whose probability is their sum (and the largest of them says what
///   the unit looks like).
/// - `named_excludes`: classes that cannot be the answer when the unit was selected by one of the
///   model's service names (a flow whose TLS SNI says `audio-ak-spotify-com.akamaized.net` carries
///   audio); their probability is removed and the rest renormalised.
/// - `calibration`: maps the top outcome's probability to the probability that it is right,
///   fitted on simulated captures that training did not see.
/// - `between_below`: when the calibrated confidence is below this, the answer names the
///   candidates ("normal or high") instead of one class.
public struct DecisionRule: Sendable, Equatable, Codable {
    public static let currentVersion = 1
    public var version: Int
    public var groups: [String: [String]]?
    public var namedExcludes: [String]?
    public var calibration: Calibration?
    public var betweenBelow: Double?

    enum CodingKeys: String, CodingKey {
        case version, groups, namedExcludes = "named_excludes", calibration, betweenBelow = "between_below"
    }

    public init(version: Int = currentVersion, groups: [String: [String]]? = nil, namedExcludes: [String]? = nil,
                calibration: Calibration? = nil, betweenBelow: Double? = nil) {
        self.version = version; self.groups = groups; self.namedExcludes = namedExcludes
        self.calibration = calibration; self.betweenBelow = betweenBelow
    }
}

/// A monotone map from a raw probability to a calibrated one: `method` `isotonic` (pool-adjacent-
/// violators fit, stored as its breakpoints `x` ascending and values `y` non-decreasing, linear
/// between them, constant outside) or `identity`.
public struct Calibration: Sendable, Equatable, Codable {
    public var method: String
    public var x: [Double]
    public var y: [Double]
    /// Free text: what the map was fitted on (for the card).
    public var fittedOn: String?

    enum CodingKeys: String, CodingKey { case method, x, y, fittedOn = "fitted_on" }

    public init(method: String, x: [Double], y: [Double], fittedOn: String? = nil) {
        self.method = method; self.x = x; self.y = y; self.fittedOn = fittedOn
    }

    /// The calibrated value of `p` (NaN stays NaN).
    public func apply(_ p: Double) -> Double {
        guard method == "isotonic", !x.isEmpty, !p.isNaN else { return p }
        if p <= x[0] { return y[0] }
        if p >= x[x.count - 1] { return y[y.count - 1] }
        var lo = 0, hi = x.count - 1
        while hi - lo > 1 {
            let mid = (lo + hi) / 2
            if x[mid] <= p { lo = mid } else { hi = mid }
        }
        let span = x[hi] - x[lo]
        guard span > 0 else { return y[hi] }
        return y[lo] + (y[hi] - y[lo]) * (p - x[lo]) / span
    }

    /// Problems that make the map unusable, or nil.
    func problem() -> String? {
        guard method == "isotonic" || method == "identity" else { return "method is \"\(method)\"; expected isotonic or identity" }
        guard x.count == y.count else { return "x has \(x.count) numbers and y \(y.count)" }
        guard method == "identity" || !x.isEmpty else { return "an isotonic map needs at least one point" }
        for i in x.indices {
            guard x[i].isFinite, y[i].isFinite, (0...1).contains(y[i]) else { return "point \(i) is not a finite probability" }
            if i > 0 && (x[i] < x[i - 1] || y[i] < y[i - 1]) { return "points must be ascending in x and non-decreasing in y (point \(i))" }
        }
        return nil
    }
}

extension DecisionRule {
    /// Checks the rule against the classes of the model that carries it.
    func validate(classes: [String], source: String) throws(ModelError) {
        func fail(_ location: String, _ problem: String) -> ModelError {
            ModelError(source: source, location: "decision.\(location)", problem: problem)
        }
        guard version == Self.currentVersion else {
            throw fail("version", "is \(version); this streamprobe reads decision rules of version \(Self.currentVersion)")
        }
        var grouped = Set<String>()
        for (name, members) in (groups ?? [:]).sorted(by: { $0.key < $1.key }) {
            if classes.contains(name) { throw fail("groups.\(name)", "has the name of a class") }
            if members.isEmpty { throw fail("groups.\(name)", "is empty") }
            for m in members {
                guard classes.contains(m) else { throw fail("groups.\(name)", "names \"\(m)\", which is not a class") }
                guard grouped.insert(m).inserted else { throw fail("groups.\(name)", "names \"\(m)\", already in another group") }
            }
        }
        for m in namedExcludes ?? [] where !classes.contains(m) {
            throw fail("named_excludes", "names \"\(m)\", which is not a class")
        }
        if let c = calibration, let p = c.problem() { throw fail("calibration", p) }
        if let b = betweenBelow, !(0...1).contains(b) { throw fail("between_below", "= \(b) is not between 0 and 1") }
    }

    /// The outcomes in report order: every class not in a group (in class order), then the groups (by name).
    public func outcomes(classes: [String]) -> [String] {
        let grouped = Set((groups ?? [:]).values.flatMap { $0 })
        return classes.filter { !grouped.contains($0) } + (groups ?? [:]).keys.sorted()
    }
}
