/// Merging and reducing Backprop-Q networks (Section 3.2, Theorem 3, Figures 2(e) and 3).
public extension BackpropQNetwork {
    /// Replaces Q-nodes `ids` (all at one stochastic node) by one Q-function carrying the sum of
    /// their sources: Q_X^{f1,f2} := Q_X^{f1} + Q_X^{f2} (proof of Theorem 6). Its incoming edges
    /// are the union of theirs; edges that pointed at any of them now point at the merged node.
    /// The result may be ill-formed (an unmatched merge): check `isWellFormed`.
    func mergingQNodes(_ ids: [Int]) -> BackpropQNetwork {
        let ids = Set(ids)
        precondition(Set(ids.map { qNodes[$0].node }).count == 1, "merge: Q-nodes at different stochastic nodes")
        guard ids.count > 1 else { return self }
        let keep = ids.min()!
        var newIndex = [Int](repeating: -1, count: qNodes.count)
        var next = 0
        for j in qNodes.indices where !ids.contains(j) || j == keep { newIndex[j] = next; next += 1 }
        for j in ids { newIndex[j] = newIndex[keep] }
        func remap(_ edges: [Edge]) -> [Edge] {
            var out: [Edge] = []
            for e in edges {
                let m: Edge = { if case .q(let k) = e { return .q(newIndex[k]) }; return e }()
                if !out.contains(m) { out.append(m) }
            }
            return out
        }
        var nodes: [QNode] = []
        for j in qNodes.indices {
            if ids.contains(j) && j != keep { continue }
            var q = qNodes[j]
            if j == keep {
                let members = ids.sorted().map { qNodes[$0] }
                q.sources = Array(Set(members.flatMap(\.sources))).sorted()
                q.scope = Array(Set(members.flatMap(\.scope))).sorted()
                q.incoming = members.flatMap(\.incoming)
            }
            q.incoming = remap(q.incoming)
            nodes.append(q)
        }
        return BackpropQNetwork(graph: graph, qNodes: nodes, combination: combination)
    }

    /// Greedy merging under Theorem 3: visiting stochastic nodes from the roots of the SCG
    /// downward, merge the Q-functions at a node whenever the merged network stays well-formed,
    /// i.e. the incoming edges of every ancestor stay matched. Ill-formed merges are refused.
    func mergedWherePossible() -> BackpropQNetwork {
        var net = self
        for x in graph.nodes.indices {
            var merged = true
            while merged {
                merged = false
                let here = net.qNodes.indices.filter { net.qNodes[$0].node == x }
                if here.count < 2 { break }
                let all = net.mergingQNodes(here)
                if all.isWellFormed { net = all; break }
                search: for a in here.indices { for b in here.indices where b > a {
                    let candidate = net.mergingQNodes([here[a], here[b]])
                    if candidate.isWellFormed { net = candidate; merged = true; break search }
                } }
            }
        }
        return net
    }

    enum TreeRule: String, Sendable, Codable {
        /// Keep the edge from the nearest child in the SCG's order (a chain-like tree, Figure 3(d)).
        case chain
        /// Keep the edge on a shortest path to the cost (Figure 3(c)).
        case shortest
    }

    /// Reduces every update rule to one edge per cost source: a directed rooted spanning tree per
    /// cost, so that each node receives exactly one copy of each cost (Section 3.2).
    func spanningTree(_ rule: TreeRule = .chain) -> BackpropQNetwork {
        var net = self
        let depth = depths
        for j in net.qNodes.indices {
            net.qNodes[j].incoming = groups(j).map { g in
                switch rule {
                case .chain:
                    return g.min { a, b in key(a) < key(b) }!
                case .shortest:
                    return g.min { a, b in (d(a, depth), key(a)) < (d(b, depth), key(b)) }!
                }
            }
        }
        return net
    }

    private func key(_ e: Edge) -> Int {
        switch e { case .cost: Int.max; case .q(let k): qNodes[k].node }
    }
    private func d(_ e: Edge, _ depth: [Int]) -> Int {
        switch e { case .cost: 0; case .q(let k): depth[k] }
    }
}
