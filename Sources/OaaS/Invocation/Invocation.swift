import OaasBus
import OaasProto
import struct Foundation.Data

/// One call as the engine sees it, whichever RPC or bus brought it.
struct Invocation {
    enum Kind {
        /// `InvokeFn`: a stateless function; no object.
        case function
        /// `InvokeObj`: a method of one object.
        case object
    }

    let kind: Kind
    let classID: String
    let functionID: String
    let partitionID: UInt32
    /// For object calls: the id as resolved from either wire field; `nil` when absent.
    let objectID: String?
    let payload: Data

    init(kind: Kind, classID: String, functionID: String, partitionID: UInt32, objectID: String?, payload: Data) {
        self.kind = kind
        self.classID = classID
        self.functionID = functionID
        self.partitionID = partitionID
        self.objectID = objectID
        self.payload = payload
    }

    init(_ request: Oprc_InvocationRequest) {
        kind = .function
        classID = request.clsID
        functionID = request.fnID
        partitionID = request.partitionID
        objectID = nil
        payload = request.payload
    }

    init(_ request: Oprc_ObjectInvocationRequest) {
        kind = .object
        classID = request.clsID
        functionID = request.fnID
        partitionID = request.partitionID
        objectID = request.resolvedObjectID
        payload = request.payload
    }

    /// Longest object id accepted, in UTF-8 bytes: ids become parts of platform keys and store
    /// keys, and an unbounded one is a cheap way to make every lookup expensive.
    static let maxObjectIDBytes = 512

    /// Why `objectID` cannot name an object, or `nil` when it can.
    static func problem(withObjectID objectID: String?) -> String? {
        guard let objectID, !objectID.isEmpty else {
            return "object_id is missing: InvokeObj needs an object id (field 7 as a string, or field 2 as a non-zero number)"
        }
        let length = objectID.utf8.count
        if length > maxObjectIDBytes {
            return "object_id is \(length) bytes long; the limit is \(maxObjectIDBytes)"
        }
        if objectID.unicodeScalars.contains(where: { $0 == "/" || $0.value < 0x20 || (0x7F...0x9F).contains($0.value) }) {
            return "object_id must not contain '/' or control characters"
        }
        return nil
    }

    /// Why `objectID` cannot name an object on the bus: ``problem(withObjectID:)``, or the
    /// bus keys' wildcard, which matches every object and so names none.
    static func problem(withBusObjectID objectID: String) -> String? {
        problem(withObjectID: objectID)
            ?? (objectID == BusKey.anyObject ? "'\(BusKey.anyObject)' is the bus keys' wildcard (it matches every object), not an object id" : nil)
    }
}

extension Oprc_InvocationResponse {
    /// A successful response carrying `payload` (present even when empty, as the Python SDK's
    /// async handler answers).
    static func okay(_ payload: Data) -> Self {
        var response = Self()
        response.payload = payload
        return response
    }

    /// A failed response with `status` and a UTF-8 text payload.
    static func failure(_ status: Oprc_ResponseStatus, _ text: String) -> Self {
        failure(status, Data(text.utf8))
    }

    /// A failed response with `status` and `payload`.
    static func failure(_ status: Oprc_ResponseStatus, _ payload: Data) -> Self {
        var response = Self()
        response.status = status
        response.payload = payload
        return response
    }
}
