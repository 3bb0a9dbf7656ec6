package clarisim

import (
	"strconv"
	"time"
)

// TenantSpec describes the simulated Clari org: its users, forecast fields,
// fiscal calendar and currency. Zero values take the defaults noted per field.
type TenantSpec struct {
	// Users is the number of users in the forecast hierarchy (default 300).
	Users int `yaml:"users"`
	// Fields is the number of forecast fields (default 4). The first four
	// are forecast_commit, best_case, pipeline and closed; more are field_5,
	// field_6, ...
	Fields int `yaml:"fields"`
	// Weeks is the number of 7-day weeks per quarter (default 13). With
	// AlignWeeks a quarter has the weeks that cover it (13 or 14), and a
	// Weeks below 13 keeps only the first Weeks of them.
	Weeks int `yaml:"weeks"`
	// Quarters is how many quarters can be exported: the current one and
	// the Quarters-1 before it (default 4). Any other period silently falls
	// back to the current quarter, as Clari does.
	Quarters int `yaml:"quarters"`
	// FiscalStartMonth is the first month of the fiscal year. A fiscal
	// year is named by the calendar year it ends in. Unset (0), the tenant
	// is WithFebruaryYear's: a February year with weeks aligned on Friday.
	// A tenant that sets it chooses its weeks with AlignWeeks and WeekStart.
	FiscalStartMonth time.Month `yaml:"fiscal_start_month"`
	// AlignWeeks makes weeks weekday-aligned, as Clari's are: every week
	// starts on WeekStart, and week 0 of a quarter is the week containing
	// its first day, so it may start up to 6 days before the quarter.
	// Without it (and a FiscalStartMonth set) week 0 starts on the
	// quarter's first day.
	AlignWeeks bool `yaml:"align_weeks"`
	// WeekStart is the weekday weeks start on with AlignWeeks (the zero
	// value is Sunday).
	WeekStart time.Weekday `yaml:"week_start"`
	// SharedEvery makes every SharedEvery-th user (from the second team on)
	// another hierarchy node of a person who is already a user, as in real
	// tenants: same CRM id, name and email, its own userId and node
	// (default 50; negative: none).
	SharedEvery int `yaml:"shared_every"`
	// Currency is the tenant's ISO currency code (default USD).
	Currency string `yaml:"currency"`
	// Forecasts lists the forecast tab ids that exist (default net_arr and
	// bookings). Any other id gets 400 no_such_forecast_config.
	Forecasts []string `yaml:"forecasts"`
}

// DefaultForecasts are the forecast ids of a tenant that names none.
var DefaultForecasts = []string{"net_arr", "bookings"}

// WithDefaults returns the spec with every zero value replaced by its default.
func (t TenantSpec) WithDefaults() TenantSpec {
	if t.Users <= 0 {
		t.Users = 300
	}
	if t.Fields <= 0 {
		t.Fields = 4
	}
	if t.Weeks <= 0 {
		t.Weeks = 13
	}
	if t.Quarters <= 0 {
		t.Quarters = 4
	}
	if t.FiscalStartMonth < time.January || t.FiscalStartMonth > time.December {
		// Clari's tenants are not on the calendar year: the default is
		// GitLab's, so no test shares the January assumption unawares.
		t = t.WithFebruaryYear()
	}
	if t.Currency == "" {
		t.Currency = "USD"
	}
	if t.SharedEvery == 0 {
		t.SharedEvery = 50
	}
	if len(t.Forecasts) == 0 {
		t.Forecasts = append([]string(nil), DefaultForecasts...)
	}
	return t
}

// WithFebruaryYear returns t with a realistic calendar: the fiscal year
// starts on 1 February and is labelled by the year it ends (GitLab's:
// 2027_Q4 is November 2026 to January 2027), and weeks are weekday-aligned
// and start on Friday (the Week 0 of Clari's CSV sample starts on Friday
// 06/30/2023 in a quarter starting 07/01), so week 0 of most quarters starts
// before the quarter's first day. New tests use it, so the suite does not
// share the January assumption.
func (t TenantSpec) WithFebruaryYear() TenantSpec {
	t.FiscalStartMonth = time.February
	t.AlignWeeks = true
	t.WeekStart = time.Friday
	return t
}

// HasForecast reports whether id is one of the tenant's forecast tabs.
func (t TenantSpec) HasForecast(id string) bool {
	for _, f := range t.WithDefaults().Forecasts {
		if f == id {
			return true
		}
	}
	return false
}

var defaultFields = [...]struct{ id, name string }{
	{"forecast_commit", "Commit"},
	{"best_case", "Best Case"},
	{"pipeline", "Pipeline"},
	{"closed", "Closed Won"},
}

// FieldID returns the id of field i (0-based).
func FieldID(i int) string {
	if i < len(defaultFields) {
		return defaultFields[i].id
	}
	return "field_" + strconv.Itoa(i+1)
}

// FieldName returns the display name of field i (0-based); it is the CSV
// Field column.
func FieldName(i int) string {
	if i < len(defaultFields) {
		return defaultFields[i].name
	}
	return "Field " + strconv.Itoa(i+1)
}

// UserID returns the Clari user id of user i (0-based): a decimal string.
func UserID(i int) string { return strconv.Itoa(100001 + i) }

// userNumber is UserID as the number Clari sends where an id is numeric.
func userNumber(i int) int64 { return int64(100001 + i) }

// UserCRMID returns the CRM (Salesforce-style, 18 chars) id of user i; it is
// the CSV "CRM User ID" column.
func UserCRMID(i int) string {
	s := strconv.Itoa(i + 1)
	const width = 15
	b := make([]byte, 0, 18)
	b = append(b, "005"...)
	for n := len(s); n < width; n++ {
		b = append(b, '0')
	}
	return string(append(b, s...))
}

var firstNames = [...]string{"Ada", "Ben", "Chloé", "Dmitri", "Eve", "Farah", "Gus", "Hana", "Ivan", "June", "Kofi", "Lena", "Mateo", "Nina", "Omar", "Priya", "Quinn", "Rosa", "Sven", "Tariq"}
var lastNames = [...]string{"Lovelace", "Okafor", "Martin", "Ivanov", "Nakamura", "O'Brien", "Schmidt", "Garcia", "Kowalski", "Haddad", "Lindqvist", "Smith, Jr.", "Rossi", "Chen", "Dubois", "Patel", "Müller"}

// userInfo is everything the documents say about one user: one person in
// one hierarchy node.
type userInfo struct {
	id, name, email, crmID     string
	hierarchyID, hierarchyName string
	// parentID and parentName are the parent node's; "" for the root.
	parentID, parentName string
	// scopeID is the node's scope as Clari sends it: a JSON-encoded string.
	scopeID string
}

// teamSize is how many users report to one manager: user 0 is the VP,
// every teamSize-th user a manager.
const teamSize = 10

// The hierarchy: user 0 sits in the root node; the users of team t in
// node "H<1001+t>" ("Team <t+1>") below it.
const (
	rootHierarchyID   = "H1000"
	rootHierarchyName = "Sales"
)

// personOf is the user index whose person user i is (i itself unless
// SharesPerson).
func (t TenantSpec) personOf(i int) int {
	for t.SharesPerson(i) {
		i -= teamSize
	}
	return i
}

// SharesPerson reports whether user i (0-based) is another hierarchy node
// of a person who is already a user (the one teamSize places before, in the
// previous team): same CRM id, name and email, its own userId and node, so
// the CSV shows that person's CRM User ID with another Role. t must have
// its defaults applied.
func (t TenantSpec) SharesPerson(i int) bool {
	return t.SharedEvery > 0 && i >= teamSize && i%t.SharedEvery == t.SharedEvery-1
}

func (t TenantSpec) makeUser(i int) userInfo {
	p := t.personOf(i)
	first := firstNames[p%len(firstNames)]
	last := lastNames[(p/len(firstNames))%len(lastNames)]
	u := userInfo{
		id:            UserID(i),
		name:          first + " " + last,
		email:         "user" + strconv.Itoa(p+1) + "@example.com",
		crmID:         UserCRMID(p),
		hierarchyID:   rootHierarchyID,
		hierarchyName: rootHierarchyName,
	}
	if p%50 == 7 {
		// A nickname in quotes exercises JSON escaping and CSV quoting.
		u.name = first + ` "Ace" ` + last
	}
	if i > 0 {
		team := i / teamSize
		u.hierarchyID = "H" + strconv.Itoa(1001+team)
		u.hierarchyName = "Team " + strconv.Itoa(team+1)
		u.parentID, u.parentName = rootHierarchyID, rootHierarchyName
	}
	u.scopeID = `{"scopeId":"` + u.hierarchyID + `::MGR"}`
	return u
}
