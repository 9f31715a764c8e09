import Flows
import Trees

/// What settled a flow's class.
public enum FlowDecisionSource: String, Sendable, CustomStringConvertible {
    /// The flow's service name (TLS SNI or DNS-learned): it matches the model's `name_patterns` (positive)
    /// or it is some other name (negative: a named host that is not the service's).
    case name
    /// The client or server port is one of the model's `ports` (same transport).
    case port
    /// Neither: the trees on the flow's whole-flow features (`flow-v1`).
    case model

    public var description: String { rawValue }
}

/// One flow's answer: its class, how sure, and which stage decided.
public struct FlowClassification: Sendable, Equatable {
    public var label: String
    /// 1 for a rule; for the trees, the probability of the class given (P(positive) when positive, else 1 − P(positive)).
    public var confidence: Double
    public var decidedBy: FlowDecisionSource
}

/// A flow model (`flow_rules` + trees on `flow-v1`) applied to finished flows. Order of the stages:
///
/// 1. name: a flow with a service name is decided by it: positive when it matches `name_patterns`,
///    else the other class (a TLS SNI or a DNS answer names the host; a host named something else
///    is not the service's, whatever its traffic looks like);
/// 2. port: an unnamed flow on one of `ports` (client or server side, same transport) is positive;
/// 3. model: the trees, positive only when P(positive) ≥ `model_threshold` (the top class without one).
///
/// Names and ports are exact evidence; the trees only see the flows those say nothing about (DNS
/// lookups, LAN chatter, unnamed connections), where a false positive is the costly mistake.
public struct FlowClassifier: Sendable {
    public let model: TreeModel
    public let rules: FlowRules
    let patterns: ServicePatternSet
    let positiveIndex: Int
    let negativeLabel: String
    /// For each model feature, its index in `FlowFeatureSet.featureNames`.
    let featureColumns: [Int]
    let tcpPorts: Set<UInt16>
    let udpPorts: Set<UInt16>

    /// Checks that `model` is a flow model this build can run. Throws a one-line `ModelError` naming the model.
    public init(model: TreeModel) throws(ModelError) {
        guard let rules = model.flowRules else {
            throw ModelError(source: model.source, problem: "is not a flow model (it has no flow_rules); flows --model needs one, e.g. spotify-flow")
        }
        guard model.featureSet == FlowFeatureSet.name else {
            throw ModelError(source: model.source, location: "feature_set",
                             problem: "= \"\(model.featureSet)\": flows --model computes \(FlowFeatureSet.name) only")
        }
        guard model.classCount == 2 else {
            throw ModelError(source: model.source, location: "classes", problem: "a flow model has two classes (\(model.classCount) given)")
        }
        var columns: [Int] = []
        for (i, name) in model.featureNames.enumerated() {
            guard let c = FlowFeatureSet.featureNames.firstIndex(of: name) else {
                throw ModelError(source: model.source, location: "features[\(i)]", problem: "\"\(name)\" is not a \(FlowFeatureSet.name) feature")
            }
            columns.append(c)
        }
        self.model = model
        self.rules = rules
        patterns = ServicePatternSet(rules.namePatterns)
        positiveIndex = model.classes.firstIndex(of: rules.positiveClass)!
        negativeLabel = model.classes[1 - positiveIndex]
        featureColumns = columns
        tcpPorts = Set(rules.ports.filter { $0.proto == "tcp" }.map { UInt16($0.port) })
        udpPorts = Set(rules.ports.filter { $0.proto == "udp" }.map { UInt16($0.port) })
    }

    /// The class of one finished flow; `features` are its `flow-v1` values (all of them, in set order).
    public func classify(_ flow: FlowRecord, features: [Double]) -> FlowClassification {
        if let name = flow.serviceName, !name.isEmpty {
            return FlowClassification(label: patterns.matches(name) ? rules.positiveClass : negativeLabel, confidence: 1, decidedBy: .name)
        }
        let ports = flow.isTCP ? tcpPorts : udpPorts
        if ports.contains(flow.serverPort) || ports.contains(flow.clientPort) {
            return FlowClassification(label: rules.positiveClass, confidence: 1, decidedBy: .port)
        }
        let p = positiveProbability(features)
        let positive = rules.modelThreshold.map { p >= $0 } ?? (p > 0.5)
        return FlowClassification(label: positive ? rules.positiveClass : negativeLabel, confidence: positive ? p : 1 - p,
                                  decidedBy: .model)
    }

    /// The trees' probability of the positive class, names and ports ignored.
    public func positiveProbability(_ features: [Double]) -> Double {
        let row = featureColumns.map { features[$0] }
        return model.predict(row).probabilities[positiveIndex]
    }
}
