package clarisim

import "github.com/clari-exporter/clari_exporter/clari"

// JobTruncation makes a DONE job deliver an incomplete document and say so
// in its record (rowsTruncated / cellsTruncated), as Clari does when an
// export is too large. The zero value is a complete export.
type JobTruncation struct {
	// Rows sets rowsTruncated; Cells sets cellsTruncated. Either one cuts
	// the document's entries to the first half of the users.
	Rows  bool `yaml:"rows" json:"rows"`
	Cells bool `yaml:"cells" json:"cells"`
	// AsCount sends the flags as counts of the rows or cells left out
	// instead of true: Clari's reference allows both shapes.
	AsCount bool `yaml:"as_count" json:"as_count"`
}

// set reports whether the job is truncated at all.
func (t JobTruncation) set() bool { return t.Rows || t.Cells }

// keptUsers is how many users' entries a truncated document of spec still
// carries (0: all of them, the document is complete).
func (t JobTruncation) keptUsers(spec TenantSpec) int {
	if !t.set() {
		return 0
	}
	return max(1, spec.WithDefaults().Users/2)
}

// flags are the record's two truncation values for the document spec, p
// and seed describe: true, or (AsCount) the number of entries (rows) and of
// their values (cells) cut off.
func (t JobTruncation) flags(spec TenantSpec, p ExportParams, seed int64) (rows, cells clari.Truncation) {
	if !t.set() {
		return
	}
	rows.Set, cells.Set = t.Rows, t.Cells
	if !t.AsCount {
		return
	}
	d, err := planDocument(spec, p, seed)
	if err != nil {
		return
	}
	weeks := d.lastWeek - d.firstWeek + 1
	cut := int64(d.spec.Users-t.keptUsers(spec)) * int64(d.spec.Fields) * int64(weeks)
	if d.params.Empty {
		cut = 0
	}
	types := int64(0)
	for _, on := range d.types {
		if on {
			types++
		}
	}
	if t.Rows {
		rows.Count = max(cut, 1)
	}
	if t.Cells {
		cells.Count = max(cut*types, 1)
	}
	return
}
