import Foundation

/// Rules that decide a flow's class before any tree is asked (`flow_rules` in the model file): a
/// flow whose service name (TLS SNI or a DNS-learned name) matches `name_patterns`, or whose
/// client or server port is one of `ports` with the same transport protocol, is `positive_class`,
/// decided by the rule. Other flows go to the model's trees (whole-flow features).
public struct FlowRules: Sendable, Equatable, Codable {
    /// A transport port that identifies the service on its own.
    public struct Port: Sendable, Equatable, Codable {
        /// `tcp` or `udp`.
        public var proto: String
        public var port: Int
        /// Why this port names the service (shown by `streamprobe models`).
        public var note: String?
        public init(proto: String, port: Int, note: String? = nil) { self.proto = proto; self.port = port; self.note = note }
        enum CodingKeys: String, CodingKey { case proto = "protocol", port, note }
    }

    /// The class a matching flow gets; must be one of the model's classes.
    public var positiveClass: String
    /// Service name patterns (`*.spotify.com`, `spotify.com`), matched as the analyzer's selection patterns are.
    public var namePatterns: [String]
    public var ports: [Port]
    /// For flows that neither rule decides: the trees' probability of `positive_class` a flow needs to be
    /// called `positive_class` (`model_threshold`). nil: the trees' top class. A flow model for a
    /// network where a false positive costs more than a miss stores a high threshold here (the
    /// training script chooses it and the card says how).
    public var modelThreshold: Double?

    public init(positiveClass: String, namePatterns: [String], ports: [Port], modelThreshold: Double? = nil) {
        self.positiveClass = positiveClass; self.namePatterns = namePatterns; self.ports = ports
        self.modelThreshold = modelThreshold
    }

    enum CodingKeys: String, CodingKey {
        case positiveClass = "positive_class", namePatterns = "name_patterns", ports, modelThreshold = "model_threshold"
    }

    func validate(classes: [String], source: String) throws(ModelError) {
        guard classes.contains(positiveClass) else {
            throw ModelError(source: source, location: "flow_rules.positive_class",
                             problem: "\"\(positiveClass)\" is not one of the model's classes")
        }
        if let t = modelThreshold, !(t >= 0 && t <= 1) {
            throw ModelError(source: source, location: "flow_rules.model_threshold", problem: "= \(t) is not in 0…1")
        }
        for (i, p) in ports.enumerated() {
            guard p.proto == "tcp" || p.proto == "udp" else {
                throw ModelError(source: source, location: "flow_rules.ports[\(i)].protocol", problem: "\"\(p.proto)\" is not tcp or udp")
            }
            guard (1...65535).contains(p.port) else {
                throw ModelError(source: source, location: "flow_rules.ports[\(i)].port", problem: "= \(p.port) is not in 1…65535")
            }
        }
    }
}
