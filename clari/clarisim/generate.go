package clarisim

import (
	"fmt"
	"math"
	"time"

	"github.com/clari-exporter/clari_exporter/clari"
)

// ExportParams is everything that determines a result document besides the
// tenant and the seed. Same spec, params and seed give byte-identical
// documents.
type ExportParams struct {
	// ForecastID is the forecast tab; it seeds the values.
	ForecastID string
	// Period is the requested period ("2026_Q4"); empty, unknown or
	// unsupported periods fall back to the quarter containing Now.
	Period string
	// Types is typesToExport; nil means Clari's default (forecast,
	// forecast_updated). Unknown values are ignored here.
	Types []string
	// IncludeHistorical exports every week of the quarter so far instead of
	// only the latest one.
	IncludeHistorical bool
	// Format selects JSON (default) or CSV for WriteResult.
	Format clari.ExportFormat
	// Currency converts values into this ISO code (default: the tenant's).
	Currency string
	// ScopeID is the request's scopeId (kept for JobInfo; Clari's entries
	// do not echo it).
	ScopeID string
	// Now is when the export ran: it fixes the current quarter and week and
	// caps updatedOn. Zero means DefaultNow (so the document stays
	// deterministic).
	Now time.Time
	// Ratio multiplies every money value except quota (a forecast swing);
	// 0 means 1.
	Ratio float64
	// Empty produces a document with no entries (lists are still present).
	Empty bool
	// Truncation cuts the entries to the first half of the users: the
	// document of a job whose record says it is truncated.
	Truncation JobTruncation
	// DuplicateEvery > 0 emits every n-th JSON entry a second time as a
	// stale copy: same natural key, updatedOn one hour earlier, money values
	// halved. Deduplicating by latest updatedOn gives the values without
	// duplicates. The copy comes after the real entry for even n-th, before
	// it for odd. CSV has no updatedOn and never carries duplicates.
	DuplicateEvery int
	// CSVCRLF ends CSV lines with CRLF instead of LF.
	CSVCRLF bool
	// CSVBOM starts the CSV with a UTF-8 byte order mark.
	CSVBOM bool
	// CRMTotalKey is the JSON value key of crm_total: "aggregationTotal"
	// (default, the only key a public schema names) or the legacy
	// "crmTotalValue".
	CRMTotalKey string
	// StringIDs sends updatedBy (and, at the API, actorId) as JSON strings
	// instead of numbers.
	StringIDs bool
	// OmitTypes are requested data types the document leaves out (Clari
	// accepting a type and delivering none of it).
	OmitTypes []string
	// KeyOrder is the order of the five top-level JSON lists (entries,
	// users, fields, timePeriods, timeFrames); nil derives it from the seed.
	KeyOrder []string
}

// JSON value keys of crm_total the simulator can send.
const (
	CRMTotalKeyAggregation = "aggregationTotal"
	CRMTotalKeyLegacy      = "crmTotalValue"
)

// DefaultNow is the export time used when ExportParams.Now is zero.
var DefaultNow = time.Date(2026, time.November, 16, 12, 0, 0, 0, time.UTC)

// typeIndex is the position of a data type in clari.AllDataTypes.
func typeIndex(t string) int {
	for i, s := range clari.AllDataTypes {
		if s == t {
			return i
		}
	}
	return -1
}

const (
	tForecast = iota
	tQuota
	tForecastUpdated
	tAdjustment
	tCRMTotal
	tCRMClosed
	numTypes
)

// docPlan is an ExportParams resolved against a tenant: what to emit.
type docPlan struct {
	spec        TenantSpec
	params      ExportParams
	seed        int64
	quarter     Quarter
	periodID    string // quarter.ID(), computed once
	fellBack    bool
	weeks       int // weeks of the quarter
	firstWeek   int
	lastWeek    int
	types       [numTypes]bool
	crmTotalKey string
	currency    string
	rate        float64 // currency conversion × ratio, for money values except quota
	quotaRate   float64 // currency conversion only
	now         time.Time
	nowMs       int64
	hDoc        uint64
	keyOrder    []string
	allWeeks    []Week  // every week of the quarter, index by week-1
	weekStarts  []int64 // epoch ms of each week's start, index by week-1
	weeksInDocs []Week
}

func planDocument(spec TenantSpec, p ExportParams, seed int64) (*docPlan, error) {
	spec = spec.WithDefaults()
	if p.Now.IsZero() {
		p.Now = DefaultNow
	}
	if p.Ratio == 0 {
		p.Ratio = 1
	}
	if p.Ratio < 0 || math.IsNaN(p.Ratio) || math.IsInf(p.Ratio, 0) {
		return nil, fmt.Errorf("clarisim: ratio %v must be a positive number", p.Ratio)
	}
	d := &docPlan{spec: spec, params: p, seed: seed, now: p.Now.UTC(), nowMs: p.Now.UnixMilli()}
	d.quarter, d.fellBack = ResolvePeriod(spec, p.Period, p.Now)
	d.periodID = d.quarter.ID()
	d.weeks = spec.WeeksIn(d.quarter)
	d.firstWeek, d.lastWeek = spec.exportedWeeks(d.quarter, p.Now, p.IncludeHistorical)
	types := p.Types
	if types == nil {
		types = []string{clari.DataForecast, clari.DataForecastUpdated}
	}
	for _, t := range types {
		if i := typeIndex(t); i >= 0 {
			d.types[i] = true
		}
	}
	for _, t := range p.OmitTypes {
		if i := typeIndex(t); i >= 0 {
			d.types[i] = false
		}
	}
	d.crmTotalKey = p.CRMTotalKey
	if d.crmTotalKey == "" {
		d.crmTotalKey = CRMTotalKeyAggregation
	}
	d.currency = spec.Currency
	conv := 1.0
	if p.Currency != "" && p.Currency != spec.Currency {
		if to, ok := usdRates[p.Currency]; ok {
			from, ok := usdRates[spec.Currency]
			if !ok {
				from = 1
			}
			conv = to / from
			d.currency = p.Currency
		}
	}
	d.quotaRate = conv
	d.rate = conv * p.Ratio
	d.hDoc = mix(hashString(hashString(uint64(seed), p.ForecastID), d.quarter.ID()))
	d.keyOrder = p.KeyOrder
	if d.keyOrder == nil {
		d.keyOrder = seededKeyOrder(seed)
	}
	for w := 1; w <= d.weeks; w++ {
		d.allWeeks = append(d.allWeeks, spec.WeekOf(d.quarter, w))
		d.weekStarts = append(d.weekStarts, d.allWeeks[w-1].Start.UnixMilli())
	}
	d.weeksInDocs = d.allWeeks[d.firstWeek-1 : d.lastWeek]
	return d, nil
}

// topLevelKeys are the five lists of a JSON result document.
var topLevelKeys = []string{"entries", "users", "fields", "timePeriods", "timeFrames"}

func seededKeyOrder(seed int64) []string {
	k := append([]string(nil), topLevelKeys...)
	h := mix(uint64(seed) ^ 0x6b65796f72646572)
	for i := len(k) - 1; i > 0; i-- {
		h = mix(h)
		j := int(h % uint64(i+1))
		k[i], k[j] = k[j], k[i]
	}
	return k
}

// usdRates converts from USD (fixed, fictional but plausible).
var usdRates = map[string]float64{"USD": 1, "EUR": 0.9, "GBP": 0.8, "JPY": 150, "CAD": 1.35, "AUD": 1.5, "CHF": 0.88}

var currencySymbols = map[string]string{"USD": "$", "EUR": "€", "GBP": "£", "JPY": "¥", "CAD": "CA$", "AUD": "A$"}

// currencySymbol returns the display symbol; codes without one get "CHF ".
func currencySymbol(code string) string {
	if s, ok := currencySymbols[code]; ok {
		return s
	}
	return code + " "
}

// genEntry is one generated (user, field, week) cell with all six values.
// It is reused across calls.
type genEntry struct {
	user      int
	userID    string
	field     int
	week      Week
	value     [numTypes]int64 // money in cents; forecast_updated 0/1
	has       [numTypes]bool
	updatedOn int64
	updatedBy string
	stale     bool // a duplicate with older updatedOn
}

// fieldScale is the per-mille size of field i relative to commit.
func fieldScale(i int) int64 {
	switch i {
	case 0:
		return 1000
	case 1:
		return 1300
	case 2:
		return 2500
	case 3:
		return 600
	}
	return 500 + int64(i%7)*150
}

// generate calls emit for every entry of the document in order user →
// field → week (stale duplicates included). emit must not keep e.
func (d *docPlan) generate(emit func(e *genEntry) error) error {
	if d.params.Empty {
		return nil
	}
	var e genEntry
	const hourMs = int64(time.Hour / time.Millisecond)
	weekMs := int64(7 * 24 * time.Hour / time.Millisecond)
	n := 0
	users := d.spec.Users
	if k := d.params.Truncation.keptUsers(d.spec); k > 0 {
		users = k
	}
	for u := 0; u < users; u++ {
		hU := mix(d.hDoc + uint64(u)*0x9E3779B97F4A7C15)
		team := u / teamSize
		manager := UserID(team * teamSize)
		self := UserID(u)
		if u%teamSize == 0 {
			manager = UserID(0)
		}
		for f := 0; f < d.spec.Fields; f++ {
			hUF := mix(hU ^ (uint64(f+1) * 0xC2B2AE3D27D4EB4F))
			base := (2_000_000 + int64(hUF%40_000_000)) * fieldScale(f) / 1000 // cents
			quota := (base*12/10 + 99_999) / 100_000 * 100_000
			v := base
			for w := 1; w <= d.lastWeek; w++ {
				hW := mix(hUF + uint64(w))
				drift := int64(hW%81) - 30 // per mille, -3 % .. +5 %
				v += v * drift / 1000
				if w < d.firstWeek {
					continue
				}
				e = genEntry{user: u, userID: self, field: f, week: d.allWeeks[w-1]}
				crmTotal := v*125/100 + int64((hW>>12)%1_000_000)
				closedShare := int64(w) * (300 + int64((hW>>20)%300)) / int64(d.weeks) // per mille
				adj := int64((hW>>28)%2_000_001) - 1_000_000
				if (hW>>50)%3 != 0 {
					adj = 0
				}
				e.value[tForecast] = d.money(v)
				e.has[tForecast] = (hW>>40)%31 != 0
				e.value[tQuota] = scaleCents(quota, d.quotaRate)
				e.has[tQuota] = true
				if (hW>>8)&3 == 0 {
					e.value[tForecastUpdated] = 1
				}
				e.has[tForecastUpdated] = true
				e.value[tAdjustment] = d.money(adj)
				e.has[tAdjustment] = true
				e.value[tCRMTotal] = d.money(crmTotal)
				e.has[tCRMTotal] = true
				e.value[tCRMClosed] = d.money(crmTotal * closedShare / 1000)
				e.has[tCRMClosed] = true
				e.updatedOn = d.weekStarts[w-1] + int64((hW>>24)%uint64(weekMs))
				if e.updatedOn > d.nowMs {
					e.updatedOn = d.nowMs - int64((hW>>44)%uint64(hourMs))
				}
				e.updatedBy = self
				if (hW>>4)&1 == 1 {
					e.updatedBy = manager
				}
				n++
				dup := d.params.DuplicateEvery > 0 && n%d.params.DuplicateEvery == 0
				staleFirst := dup && (n/d.params.DuplicateEvery)%2 == 1
				if staleFirst {
					if err := emitStale(&e, emit); err != nil {
						return err
					}
				}
				if err := emit(&e); err != nil {
					return err
				}
				if dup && !staleFirst {
					if err := emitStale(&e, emit); err != nil {
						return err
					}
				}
			}
		}
	}
	return nil
}

// emitStale emits an older, different copy of e and restores e.
func emitStale(e *genEntry, emit func(*genEntry) error) error {
	saved := *e
	e.stale = true
	e.updatedOn -= int64(time.Hour / time.Millisecond)
	for _, t := range []int{tForecast, tAdjustment, tCRMTotal, tCRMClosed} {
		e.value[t] /= 2
	}
	e.value[tForecastUpdated] = 1 - e.value[tForecastUpdated]
	err := emit(e)
	*e = saved
	return err
}

func (d *docPlan) money(cents int64) int64 { return scaleCents(cents, d.rate) }

func scaleCents(cents int64, r float64) int64 {
	if r == 1 {
		return cents
	}
	return int64(math.Round(float64(cents) * r))
}

// mix is the splitmix64 finaliser: a cheap, well-distributed hash step.
func mix(z uint64) uint64 {
	z += 0x9E3779B97F4A7C15
	z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9
	z = (z ^ (z >> 27)) * 0x94D049BB133111EB
	return z ^ (z >> 31)
}

// hashString folds s into h (FNV-1a style, then mixed).
func hashString(h uint64, s string) uint64 {
	h ^= 0xcbf29ce484222325
	for i := 0; i < len(s); i++ {
		h ^= uint64(s[i])
		h *= 0x100000001b3
	}
	return mix(h)
}
