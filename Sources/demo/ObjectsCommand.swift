import Foundation
import OaaS

/// `demo objects [--store URL] [CLASS [[PARTITION/]OBJECT]]`: what a store holds.
///
/// Without a class: every stored object, one `class/partition/object` per line. With a class:
/// that class's objects. With an object too: its fields as one JSON object, named by the
/// class's persisted field names when the class is one of the demo's, by index otherwise; a
/// field whose bytes are not JSON is shown as a string. The store defaults as for `demo serve`
/// (`OPRC_STORE_URL`, else `sqlite:./oaas-data/objects.db`); a SQLite file is opened beside a
/// `demo serve` that may be serving it. Returns the exit status: 0, or 1 for a store that
/// cannot be opened or an object that does not exist.
enum ObjectsCommand {
    static func run(storeURL: String?, classID: String?, object: String?) async -> Int32 {
        let url = ServeCommand.storeURL(storeURL)
        let store: any ObjectStore
        do {
            store = try ObjectStores.open(url, config: try OaasConfig(), readOnly: true)
        } catch let error as OaasError {
            complain("demo objects: \(error.message)")
            return 1
        } catch {
            complain("demo objects: \(error)")
            return 1
        }
        defer { Task { await store.close() } }
        do {
            guard let classID else {
                for identity in try await store.identities(classID: nil) { say(identity.description) }
                return 0
            }
            guard let object else {
                for identity in try await store.identities(classID: classID) { say(identity.description) }
                return 0
            }
            let identity = Self.identity(classID, object)
            guard let stored = try await store.load(identity), !stored.entries.isEmpty else {
                complain("demo objects: no object \(identity) in \((try? StoreURL.parse(url))?.redacted ?? url)")
                return 1
            }
            try registerDemoServices()
            say(render(stored.entries, names: oaas.persistedFields(of: classID)))
            return 0
        } catch let error as OaasError {
            complain("demo objects: \(error.message)")
            return 1
        } catch {
            complain("demo objects: \(error)")
            return 1
        }
    }

    /// `PARTITION/OBJECT` or `OBJECT` (partition 0).
    private static func identity(_ classID: String, _ text: String) -> ObjectIdentity {
        if let slash = text.firstIndex(of: "/"), let partition = UInt32(text[..<slash]) {
            return ObjectIdentity(classID: classID, partitionID: partition, objectID: String(text[text.index(after: slash)...]))
        }
        return ObjectIdentity(classID: classID, partitionID: 0, objectID: text)
    }

    /// The entries as a JSON object, fields in index order.
    private static func render(_ entries: ObjectEntries, names: [String]?) -> String {
        let ordered = entries.sorted { (Int($0.key) ?? .max, $0.key) < (Int($1.key) ?? .max, $1.key) }
        let members = ordered.map { key, value -> String in
            let name = Int(key).flatMap { index in names.flatMap { index < $0.count ? $0[index] : nil } } ?? key
            return "\(quoted(name)): \(jsonText(value))"
        }
        return "{" + members.joined(separator: ", ") + "}"
    }

    private static func jsonText(_ value: Data) -> String {
        if value.isEmpty { return "null" }
        if (try? JSONSerialization.jsonObject(with: value, options: .fragmentsAllowed)) != nil,
           let text = String(data: value, encoding: .utf8) {
            return text
        }
        return quoted(String(decoding: value, as: UTF8.self))
    }

    private static func quoted(_ text: String) -> String {
        let data = (try? JSONSerialization.data(withJSONObject: text, options: .fragmentsAllowed)) ?? Data("\"?\"".utf8)
        return String(decoding: data, as: UTF8.self)
    }
}
