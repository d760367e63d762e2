import OaasHTTP2
import Testing
import OaasTesting

@Suite("HTTP2StreamMap")
struct HTTP2StreamMapTests {
    @Test("random inserts, updates and removals agree with Dictionary at every step")
    func agreesWithDictionary() {
        var generator = SeededRandom(seed: 0x5742)
        var map = HTTP2StreamMap<Int>(capacity: 4)
        var reference: [Int32: Int] = [:]
        // Odd ids like a client's, rising like a busy connection's, plus a few far-off ones
        // so probe runs collide and wrap.
        var nextID: Int32 = 1
        for step in 0..<50_000 {
            switch Int.random(in: 0..<10, using: &generator) {
            case 0..<5:
                let id = Bool.random(using: &generator) ? nextID : Int32.random(in: 1...4_001, using: &generator) | 1
                nextID += 2
                map[id] = step
                reference[id] = step
            case 5..<9:
                guard let id = reference.keys.randomElement(using: &generator) else { continue }
                #expect(map.removeValue(forKey: id) == reference.removeValue(forKey: id))
            default:
                let id = Int32.random(in: 1...4_001, using: &generator) | 1
                #expect(map[id] == reference[id])
            }
            #expect(map.count == reference.count)
        }
        for (id, value) in reference { #expect(map[id] == value) }
        #expect(map.allValues.sorted() == reference.values.sorted())
        #expect(map.removeValue(forKey: 999_999) == nil)
        map.removeAll()
        #expect(map.isEmpty)
        #expect(map.allValues.isEmpty)
    }
}
