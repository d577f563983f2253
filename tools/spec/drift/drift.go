package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/oasdiff/oasdiff/checker"
	"github.com/oasdiff/oasdiff/diff"
	"github.com/oasdiff/oasdiff/load"
	"go.yaml.in/yaml/v3"
)

// invitationPath reports whether p is one of the operations this project covers; everything
// else in Clerk's document is left out before comparing.
func invitationPath(p string) bool {
	return p == "/invitations" || strings.HasPrefix(p, "/invitations/")
}

// Deviation is one difference between Clerk's document and openapi.yaml that is deliberate.
// A change matches when its ID is the same and, where given, its operation, path and text.
type Deviation struct {
	ID        string   `yaml:"id"`        // oasdiff's change id, e.g. "new-optional-request-property"
	OrIDs     []string `yaml:"or_ids"`    // other ids the same difference is reported under
	Operation string   `yaml:"operation"` // "GET", "POST", … ("" matches any)
	Path      string   `yaml:"path"`      // "/invitations/{invitation_id}/revoke" ("" matches any)
	Text      string   `yaml:"text"`      // a substring of the change's text ("" matches any)
	Why       string   `yaml:"why"`       // the reason; required
}

func (d Deviation) matches(c Change) bool {
	return (d.ID == c.ID || slices.Contains(d.OrIDs, c.ID)) && (d.Operation == "" || d.Operation == c.Operation) &&
		(d.Path == "" || d.Path == c.Path) && strings.Contains(c.Text, d.Text)
}

// LoadDeviations reads the committed list; every entry needs an id and a reason.
func LoadDeviations(data []byte) ([]Deviation, error) {
	var list []Deviation
	if err := yaml.Unmarshal(data, &list); err != nil {
		return nil, fmt.Errorf("deviations: %w", err)
	}
	for i, d := range list {
		if d.ID == "" || strings.TrimSpace(d.Why) == "" {
			return nil, fmt.Errorf("deviations: entry %d (%q) needs an id and a why", i+1, d.ID)
		}
	}
	return list, nil
}

// normalizeStatus rewrites a single-valued status parameter of the list as the array of the
// same values openapi.yaml declares (status may be repeated; a listed deviation). Without it
// oasdiff compares a string with an array and never looks at the values, so a status Clerk
// added or removed would go unseen.
func normalizeStatus(doc *openapi3.T) {
	item := doc.Paths.Value("/invitations")
	if item == nil || item.Get == nil {
		return
	}
	for _, p := range item.Get.Parameters {
		if p.Value == nil || p.Value.In != "query" || p.Value.Name != "status" || p.Value.Schema == nil {
			continue
		}
		if s := p.Value.Schema.Value; s != nil && s.Type.Is(openapi3.TypeString) {
			p.Value.Schema = openapi3.NewSchemaRef("", openapi3.NewArraySchema().WithItems(s))
		}
	}
}

// Change is one difference, read as what would change if openapi.yaml became Clerk's document.
type Change struct {
	ID        string
	Level     string // error, warning or info: how much it would matter to a client
	Operation string
	Path      string
	Text      string
	Why       string // the deviation that explains it; "" when nothing does
}

// Report is the outcome of a comparison.
type Report struct {
	Changes []Change
	// Stale lists deviations no change matched: Clerk's document may have caught up, and the
	// entry (and perhaps openapi.yaml) can go.
	Stale []Deviation
}

// Unexplained returns the changes no deviation explains.
func (r Report) Unexplained() []Change {
	var out []Change
	for _, c := range r.Changes {
		if c.Why == "" {
			out = append(out, c)
		}
	}
	return out
}

// Compare loads ours and upstream (a file path or an http(s) URL), keeps the invitation
// operations of each, and lists every difference oasdiff finds, explained or not.
func Compare(ours, upstream string, deviations []Deviation) (Report, error) {
	loader := openapi3.NewLoader()
	loader.IsExternalRefsAllowed = true
	base, err := load.NewSpecInfo(loader, load.NewSource(ours))
	if err != nil {
		return Report{}, fmt.Errorf("loading %s: %w", ours, err)
	}
	revision, err := load.NewSpecInfo(loader, load.NewSource(upstream))
	if err != nil {
		return Report{}, fmt.Errorf("loading %s: %w", upstream, err)
	}
	for _, s := range []*load.SpecInfo{base, revision} {
		if s.Spec.Paths == nil {
			return Report{}, fmt.Errorf("%s has no paths", s.Url)
		}
		kept := openapi3.NewPaths()
		for p, item := range s.Spec.Paths.Map() {
			if invitationPath(p) {
				kept.Set(p, item)
			}
		}
		if kept.Len() == 0 {
			return Report{}, fmt.Errorf("%s has no invitation operations (no path under /invitations)", s.Url)
		}
		s.Spec.Paths = kept
	}
	normalizeStatus(revision.Spec)
	d, sources, err := diff.GetPathsDiff(diff.NewConfig(), []*load.SpecInfo{base}, []*load.SpecInfo{revision})
	if err != nil {
		return Report{}, fmt.Errorf("comparing: %w", err)
	}
	found := checker.CheckBackwardCompatibilityUntilLevel(checker.NewConfig(checker.GetAllChecks()), d, sources, checker.INFO)
	localizer := checker.NewDefaultLocalizer()
	used := make([]bool, len(deviations))
	var r Report
	for _, fc := range found {
		c := Change{ID: fc.GetId(), Level: fc.GetLevel().String(), Operation: fc.GetOperation(), Path: fc.GetPath(), Text: fc.GetUncolorizedText(localizer)}
		for i, dev := range deviations {
			if dev.matches(c) {
				c.Why, used[i] = dev.Why, true
				break
			}
		}
		r.Changes = append(r.Changes, c)
	}
	slices.SortStableFunc(r.Changes, func(a, b Change) int {
		return strings.Compare(a.Path+" "+a.Operation+" "+a.ID+" "+a.Text, b.Path+" "+b.Operation+" "+b.ID+" "+b.Text)
	})
	for i, dev := range deviations {
		if !used[i] {
			r.Stale = append(r.Stale, dev)
		}
	}
	return r, nil
}

// Print writes the report for a maintainer: unexplained changes first, then the explained ones
// with their reasons, then stale deviations.
func (r Report) Print(w io.Writer, verbose bool) {
	unexplained := r.Unexplained()
	fmt.Fprintf(w, "%d differences in the invitation operations: %d unexplained, %d deliberate\n",
		len(r.Changes), len(unexplained), len(r.Changes)-len(unexplained))
	if len(unexplained) > 0 {
		fmt.Fprintln(w, "\nUnexplained (Clerk's document has changed, or openapi.yaml has drifted):")
		for _, c := range unexplained {
			fmt.Fprintf(w, "  [%s] %s %s %s: %s\n", c.Level, c.ID, c.Operation, c.Path, c.Text)
		}
	}
	if verbose {
		fmt.Fprintln(w, "\nDeliberate:")
		for _, c := range r.Changes {
			if c.Why != "" {
				fmt.Fprintf(w, "  %s %s %s: %s\n      why: %s\n", c.ID, c.Operation, c.Path, c.Text, c.Why)
			}
		}
	}
	if len(r.Stale) > 0 {
		fmt.Fprintln(w, "\nDeviations that matched nothing (Clerk's document may have caught up; review and remove):")
		for _, d := range r.Stale {
			fmt.Fprintf(w, "  %s %s %s %q\n", d.ID, d.Operation, d.Path, d.Text)
		}
	}
}

// run is the command: it returns the exit status, 1 for unexplained differences, 2 for a
// failure to compare.
func run(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("drift", flag.ContinueOnError)
	fs.SetOutput(stderr)
	ours := fs.String("ours", "", "this project's openapi.yaml")
	upstream := fs.String("upstream", "", `a file or http(s) URL of Clerk's Backend API document, or "newest": the newest Clerk publishes`)
	listing := fs.String("listing", clerkListing, `where "newest" looks: a GitHub contents API URL of a folder of YYYY-MM-DD.yml documents`)
	deviationsFile := fs.String("deviations", "", "the list of deliberate deviations")
	verbose := fs.Bool("v", false, "also list the explained differences")
	if err := fs.Parse(args); err != nil || fs.NArg() > 0 {
		if err == nil {
			fmt.Fprintf(stderr, "drift: unexpected argument %q\n", fs.Arg(0))
		}
		return 2
	}
	if *ours == "" || *upstream == "" || *deviationsFile == "" {
		fmt.Fprintln(stderr, "usage: drift -ours openapi.yaml -upstream <file or URL of Clerk's Backend API document, or newest> -deviations deviations.yaml [-v]")
		return 2
	}
	if *upstream == "newest" {
		url, name, err := newest(context.Background(), *listing)
		if err != nil {
			fmt.Fprintln(stderr, "drift:", err)
			return 2
		}
		fmt.Fprintf(stdout, "Clerk's newest Backend API document: %s (%s)\n", name, url)
		*upstream = url
	}
	raw, err := os.ReadFile(*deviationsFile)
	if err != nil {
		fmt.Fprintln(stderr, "drift:", err)
		return 2
	}
	devs, err := LoadDeviations(raw)
	if err != nil {
		fmt.Fprintln(stderr, "drift:", err)
		return 2
	}
	r, err := Compare(*ours, *upstream, devs)
	if err != nil {
		fmt.Fprintln(stderr, "drift:", err)
		return 2
	}
	r.Print(stdout, *verbose)
	if len(r.Unexplained()) > 0 {
		return 1
	}
	return 0
}
