import KRX
import Market
import Testing
@testable import KRXSimulator

/// The market's rules, held against whole simulated days decoded from the wire (seeded per run; the
/// seed is printed with every failure).
@Suite struct TradingDayRuleTests {
    static let days = [busyDay, secondDay]

    /// The thresholds, typed in from the specs folder's README (KRX rules RGL03010409), independently
    /// of `VolatilityInterruptionRule`: static 10 %; dynamic 3 % for KOSPI 200 constituents, 6 % for
    /// other stocks, 2 % and 4 % in the closing auction.
    static func dynamicPercent(_ listing: KRXListing, closing: Bool) -> Int64 {
        listing.isKOSPI200 ? (closing ? 2 : 3) : (closing ? 4 : 6)
    }

    /// Whether `price` is `percent` % or more away from `base`.
    static func beyond(_ price: Int64, _ percent: Int64, _ base: Int64) -> Bool { abs(price - base) * 100 >= percent * base }

    @Test func everyRecordDecodes() {
        for day in Self.days {
            #expect(day.refused == 0, "seed \(day.configuration.seed)")
            #expect(day.records.count > 10_000, "seed \(day.configuration.seed): \(day.records.count) records")
        }
    }

    /// Property: every price in every record is on the tick grid for its level and inside the
    /// instrument's daily limits.
    @Test func everyPriceIsOnTheGridAndInsideTheLimits() {
        for day in Self.days {
            let seed = day.configuration.seed
            var checked = 0
            for (time, record) in day.records {
                guard let header = record.header else { continue }
                let listing = day.listing(header.isin)
                let (upper, lower) = listing.limits
                var prices: [Int64?] = []
                switch record {
                case .quote(let q):
                    prices = q.levels.flatMap { [$0.askPrice, $0.bidPrice] } + [q.estimatedPrice]
                case .trade(let t): prices = [t.price, t.open, t.high, t.low, t.bestAsk, t.bestBid]
                case .closing(let c): prices = [c.closingPrice]
                case .vi(let v): prices = [v.triggerPrice, v.staticBasePrice, v.dynamicBasePrice]
                case .basePrice(let b): prices = [b.basePrice, b.upperLimit, b.lowerLimit]
                default: break
                }
                for case let price? in prices where price != 0 {
                    checked += 1
                    if !KRXPriceGrid.isOnGrid(price) || price < lower || price > upper {
                        Issue.record("seed \(seed): \(listing.code) at \(time): \(price) off the grid or outside \(lower)…\(upper) in \(record)")
                        return
                    }
                }
            }
            #expect(checked > 100_000, "seed \(seed): only \(checked) prices")
        }
    }

    /// Property: a trade in continuous trading never lies past a VI threshold (static ±10 % from the
    /// last single price, dynamic ±3 %/±6 % from the last trade), and every VI triggered has its
    /// trigger price at or past the threshold of its type, from the bases it states — which are the
    /// ones the stream implies.
    @Test func volatilityInterruptionsTriggerExactlyAtTheThresholds() {
        var typesSeen = Set<UInt8>()
        for day in Self.days {
            let seed = day.configuration.seed
            var staticBase: [ISIN: Int64] = [:]
            var lastTrade: [ISIN: Int64] = [:]
            var continuousTrades = 0
            for (time, record) in day.records {
                switch record {
                case .trade(let t):
                    let isin = t.header.isin, listing = day.listing(isin)
                    let price = t.price!
                    if t.aggressor == .auction {
                        staticBase[isin] = price
                    } else {
                        continuousTrades += 1
                        let base = staticBase[isin] ?? listing.basePrice
                        let dynamic = Self.dynamicPercent(listing, closing: false)
                        if Self.beyond(price, 10, base) || lastTrade[isin].map({ Self.beyond(price, dynamic, $0) }) == true {
                            Issue.record("seed \(seed): \(listing.code) traded \(price) at \(time) past a VI threshold (static base \(base), last \(lastTrade[isin].map(String.init) ?? "-"))")
                            return
                        }
                    }
                    lastTrade[isin] = price
                case .vi(let v) where v.status == .triggered:
                    let isin = v.header.isin, listing = day.listing(isin)
                    let trigger = v.triggerPrice!
                    let base = staticBase[isin] ?? listing.basePrice
                    typesSeen.insert(v.type.rawValue)
                    #expect(v.staticBasePrice == base, "seed \(seed): \(listing.code) R8 static base \(v.staticBasePrice ?? 0), stream \(base)")
                    let closing = time >= KRXSchedule.close
                    let dynamic = Self.dynamicPercent(listing, closing: closing)
                    let pastStatic = Self.beyond(trigger, 10, base)
                    let pastDynamic = lastTrade[isin].map { Self.beyond(trigger, dynamic, $0) } ?? false
                    switch v.type {
                    case .staticVI: #expect(pastStatic && !pastDynamic, "seed \(seed): \(listing.code) static VI at \(trigger) from \(base)")
                    case .dynamicVI:
                        #expect(!pastStatic && pastDynamic && v.dynamicBasePrice == lastTrade[isin],
                                "seed \(seed): \(listing.code) dynamic VI at \(trigger) from \(lastTrade[isin] ?? 0)")
                    case .staticAndDynamic: #expect(pastStatic && pastDynamic, "seed \(seed): \(listing.code) static+dynamic VI at \(trigger)")
                    }
                default: break
                }
            }
            #expect(continuousTrades > 1_000, "seed \(seed)")
        }
        #expect(typesSeen.contains(KRXVIType.staticVI.rawValue) || typesSeen.contains(KRXVIType.staticAndDynamic.rawValue),
                "seed \(propertySeed): no static VI in two busy days")
        #expect(typesSeen.contains(KRXVIType.dynamicVI.rawValue), "seed \(propertySeed): no dynamic VI in two busy days")
    }

    @Test func theThresholdsAreExact() {
        // Static: 10 % of 10 000 is 11 000 / 9 000 exactly.
        #expect(VolatilityInterruptionRule.check(price: 11_000, staticBase: 10_000, lastTrade: 10_990, dynamicPercent: 6) == .staticVI)
        #expect(VolatilityInterruptionRule.check(price: 10_990, staticBase: 10_000, lastTrade: 10_990, dynamicPercent: 6) == nil)
        #expect(VolatilityInterruptionRule.check(price: 9_000, staticBase: 10_000, lastTrade: 9_010, dynamicPercent: 6) == .staticVI)
        #expect(VolatilityInterruptionRule.check(price: 9_010, staticBase: 10_000, lastTrade: 9_010, dynamicPercent: 6) == nil)
        // Dynamic: 6 % of 10 000 is 10 600; 3 % (KOSPI 200) of 50 000 is 51 500.
        #expect(VolatilityInterruptionRule.check(price: 10_600, staticBase: 10_500, lastTrade: 10_000, dynamicPercent: 6) == .dynamicVI)
        #expect(VolatilityInterruptionRule.check(price: 10_590, staticBase: 10_500, lastTrade: 10_000, dynamicPercent: 6) == nil)
        #expect(VolatilityInterruptionRule.check(price: 51_500, staticBase: 51_000, lastTrade: 50_000, dynamicPercent: 3) == .dynamicVI)
        #expect(VolatilityInterruptionRule.check(price: 51_400, staticBase: 51_000, lastTrade: 50_000, dynamicPercent: 3) == nil)
        #expect(VolatilityInterruptionRule.check(price: 11_000, staticBase: 10_000, lastTrade: 10_000, dynamicPercent: 6) == .staticAndDynamic)
        #expect(VolatilityInterruptionRule.dynamicPercent(kospi200: true, closingAuction: false) == 3)
        #expect(VolatilityInterruptionRule.dynamicPercent(kospi200: false, closingAuction: false) == 6)
        #expect(VolatilityInterruptionRule.dynamicPercent(kospi200: true, closingAuction: true) == 2)
        #expect(VolatilityInterruptionRule.dynamicPercent(kospi200: false, closingAuction: true) == 4)
    }

    /// Property: a VI's single-price auction lasts two minutes and a random part of the next 30
    /// seconds, and the R8 that starts it says when it ends.
    @Test func viAuctionsLastTwoMinutesAndARandomEnd() {
        var durations = Set<Int64>()
        for day in Self.days {
            let seed = day.configuration.seed
            var started: [ISIN: KRXVolatilityInterruption] = [:]
            for (_, record) in day.records {
                guard case .vi(let v) = record else { continue }
                let isin = v.header.isin
                if v.status == .triggered {
                    #expect(started[isin] == nil, "seed \(seed): two VIs at once")
                    started[isin] = v
                } else if let start = started.removeValue(forKey: isin) {
                    let duration = v.header.processingTime! - start.header.processingTime!
                    durations.insert(duration)
                    #expect(duration >= 120_000_000 && duration <= 150_000_000, "seed \(seed): VI of \(duration) µs")
                    #expect(abs(start.endTime! - v.header.processingTime!) < 1_000, "seed \(seed): VI end announced \(start.endTime!)")
                } else {
                    Issue.record("seed \(seed): a VI removed that never started")
                }
            }
            #expect(started.isEmpty, "seed \(seed): VIs never removed: \(started.keys)")
        }
        #expect(durations.count >= 3, "seed \(propertySeed): VI ends are not random: \(durations)")
    }

    /// The opening uncross executes at the price and volume the auction's last quote estimated (the
    /// book does not change between them), with no aggressor, at 09:00 or after a VI extension.
    @Test func theOpeningUncrossIsTheLastEstimate() {
        for day in Self.days {
            let seed = day.configuration.seed
            var estimate: [ISIN: (Int64, Int64)] = [:]
            var opened = Set<ISIN>()
            var opens = 0
            for (time, record) in day.records {
                switch record {
                case .quote(let q) where q.header.session == .openingAuction:
                    if let price = q.estimatedPrice, price > 0 { estimate[q.header.isin] = (price, q.estimatedVolume!) }
                    else { estimate[q.header.isin] = nil }
                case .trade(let t) where !opened.contains(t.header.isin):
                    opened.insert(t.header.isin)
                    guard t.header.session == .openingAuction else { break }
                    opens += 1
                    #expect(time >= KRXSchedule.open && t.aggressor == .auction, "seed \(seed)")
                    #expect(estimate[t.header.isin].map { $0 == (t.price!, t.quantity!) } == true,
                            "seed \(seed): opened at \(t.price!)×\(t.quantity!), estimated \(String(describing: estimate[t.header.isin]))")
                    #expect(t.open == t.price && t.high == t.price && t.low == t.price && t.accumulatedVolume == t.quantity)
                default: break
                }
            }
            #expect(opens >= day.listings.count / 2, "seed \(seed): only \(opens) opening auctions executed")
        }
    }

    @Test func theDayFollowsItsTimetable() {
        for day in Self.days {
            let seed = day.configuration.seed
            // Payloads: in time order, none over the size limit.
            #expect(zip(day.payloads, day.payloads.dropFirst()).allSatisfy { $0.time <= $1.time }, "seed \(seed)")
            #expect(day.payloads.allSatisfy { $0.bytes.count <= day.configuration.maxPayloadSize }, "seed \(seed)")
            // The master first, three times (KOSCOM repeats the batch): every listing, then each
            // market's marker numbered after its records.
            let masters = day.records.prefix { if case .master = $0.record { true } else if case .endOfBatch = $0.record { true } else { false } }
            let batch = day.listings.count + Set(day.listings.map(\.market)).count
            #expect(masters.count == 3 * batch, "seed \(seed)")
            #expect(Set(masters.map(\.time)) == Set(KRXSchedule.masterBatchTimes), "seed \(seed)")
            for copy in 1..<3 {
                #expect(zip(masters.prefix(batch), masters.dropFirst(copy * batch).prefix(batch)).allSatisfy { "\($0.record)" == "\($1.record)" },
                        "seed \(seed): copy \(copy) of the batch repeats the first")
            }
            var names = Set<String>()
            for case (_, .master(let m)) in masters {
                names.insert(m.koreanName ?? "")
                #expect(m.isin.isValid && m.shortCode == "A" + m.isin.koreanShortCode!.description)
            }
            #expect(names.count == day.listings.count, "Korean names are unique")
            // Per instrument: sequence numbers 1, 2, 3, … in stream order; sessions from A7.
            var sequence: [ISIN: Int64] = [:]
            var sessions: [ISIN: [String]] = [:]
            var halted = Set<ISIN>()
            for (time, record) in day.records {
                guard let header = record.header else { continue }
                let isin = header.isin
                #expect(header.sequenceNumber == (sequence[isin] ?? 0) + 1, "seed \(seed): sequence of \(isin)")
                sequence[isin] = header.sequenceNumber
                switch record {
                case .operation(let o):
                    sessions[isin, default: []].append(o.header.session!.description)
                    if o.haltReason != nil { halted.insert(isin) } else { halted.remove(isin) }
                case .trade(let t):
                    #expect(!halted.contains(isin), "seed \(seed): a trade while halted")
                    if t.header.session == .continuous {
                        #expect(time >= KRXSchedule.open && time < KRXSchedule.closingAuction, "seed \(seed): continuous trade at \(time)")
                    }
                default: break
                }
            }
            for (isin, list) in sessions {
                #expect(list.first == "10" && list.last == "90", "seed \(seed): \(isin) sessions \(list)")
                #expect(list.contains("30"), "seed \(seed): \(isin) had no closing auction")
            }
            #expect(sessions.count == day.listings.count)
            // One polling record a minute, 08:30 to 15:30.
            let minutes = day.records.compactMap { if case .polling(let m) = $0.record { m } else { nil } }
            #expect(minutes == Array(510...930), "seed \(seed)")
            // One closing per instrument, at the last trade's price.
            var lastPrice: [ISIN: Int64] = [:]
            var closings = 0
            for (_, record) in day.records {
                if case .trade(let t) = record { lastPrice[t.header.isin] = t.price }
                if case .closing(let c) = record {
                    closings += 1
                    #expect(c.closingPrice == lastPrice[c.header.isin] ?? day.listing(c.header.isin).basePrice)
                }
            }
            #expect(closings == day.listings.count)
        }
        #expect(Self.days.map(\.statistics.halts).reduce(0, +) > 0, "seed \(propertySeed): no halt in two busy days")
    }

    @Test func theSameSeedGivesTheSameBytes() {
        var configuration = KRXSimulatorConfiguration()
        configuration.instrumentCount = 3
        configuration.seed = 99
        var a = KRXTradingDay(configuration), b = KRXTradingDay(configuration)
        var payloads = 0
        while let x = a.nextPayload() {
            #expect(x == b.nextPayload())
            payloads += 1
        }
        #expect(b.nextPayload() == nil && payloads > 1_000)
        configuration.seed = 100
        var c = KRXTradingDay(configuration)
        var d = KRXTradingDay({ var k = configuration; k.seed = 99; return k }())
        var differ = false
        while let x = c.nextPayload() {
            if x != d.nextPayload() { differ = true; break }
        }
        #expect(differ)
    }

    @Test func timeCompressionSpacesTheDay() {
        var configuration = KRXSimulatorConfiguration()
        configuration.instrumentCount = 1
        configuration.timeCompression = 60
        let day = KRXTradingDay(configuration)
        let close = KRXPayload(bytes: [], time: KRXSchedule.close)
        // 08:20 to 15:30 is 7 h 10 min: 430 s at 60×.
        #expect(day.wallOffset(of: close) == 430_000_000_000)
        #expect(day.wallOffset(of: KRXPayload(bytes: [], time: KRXSchedule.masterBatch)) == 0)
        var bad = configuration
        bad.timeCompression = 0
        #expect(bad.validate()?.hasPrefix("timeCompression") == true)
        bad = configuration
        bad.instrumentCount = 0
        #expect(bad.validate()?.hasPrefix("instrumentCount") == true)
    }
}
