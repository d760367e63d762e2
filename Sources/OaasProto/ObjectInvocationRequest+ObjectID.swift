extension Oprc_ObjectInvocationRequest {
    /// The object this request targets, whichever platform version sent it.
    ///
    /// Two platform versions put the object id in different fields, both called
    /// `object_id` on their side: the current one sends a string in field 7
    /// (`objectIDStr` here), older ones a `uint64` in field 2 (`objectID`).
    /// Either id is valid; the numeric one means its decimal string, so callers
    /// can key objects by this one string.
    ///
    /// - Returns: field 7 when it is present on the wire (even if empty, since
    ///   the sender chose the string form); otherwise the decimal string of field
    ///   2 when it is non-zero; otherwise `nil`, because proto3 cannot tell an
    ///   explicit numeric 0 from "no id", and 0 never names a real object.
    public var resolvedObjectID: String? {
        if hasObjectIDStr {
            return objectIDStr
        }
        if objectID != 0 {
            return String(objectID)
        }
        return nil
    }
}
