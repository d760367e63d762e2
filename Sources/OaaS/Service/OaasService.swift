import struct Foundation.Data

/// What makes an ``OaasObject`` subclass a service the runtime can serve: its definition
/// (class id and methods) and how its persisted fields move to and from stored entries.
///
/// `@Service` writes this conformance; writing it by hand is the same API. The class must be
/// `final`. Entry keys are the declaration indexes of the persisted fields as decimal strings
/// (`"0"`, `"1"`, …), and values use the Python SDK's encoding (``PayloadCodec/encodeValue(_:)``),
/// so Swift and Python services can share stored objects.
public protocol OaasService: OaasObject {
    /// The class id and methods. Read once, when the service is registered. Any thread.
    static var serviceDefinition: ServiceDefinition<Self> { get }

    /// Names of the persisted fields, in declaration order: the entry key of a field is its
    /// index in this list. Any thread.
    static var persistedFields: [String] { get }

    /// Writes every persisted field into `state`. Called on the call's loop thread after a
    /// method returned normally.
    func saveState(into state: inout StateWriter) throws(PayloadError)

    /// Reads the persisted fields present in `state`; fields without an entry keep their
    /// defaults. Called on the call's loop thread before the method runs.
    func loadState(from state: StateReader) throws(PayloadError)
}

extension OaasService {
    /// A service without persisted fields.
    public static var persistedFields: [String] { [] }
    /// A service without persisted fields writes nothing.
    public func saveState(into state: inout StateWriter) throws(PayloadError) {}
    /// A service without persisted fields reads nothing.
    public func loadState(from state: StateReader) throws(PayloadError) {}
}
