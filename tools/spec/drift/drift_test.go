package main

import (
	"bytes"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"
)

const (
	ours       = "../../../openapi.yaml"
	fixture    = "testdata/upstream.yaml"
	deviations = "../deviations.yaml"
)

func loadDeviations(t *testing.T) []Deviation {
	t.Helper()
	raw, err := os.ReadFile(deviations)
	if err != nil {
		t.Fatal(err)
	}
	devs, err := LoadDeviations(raw)
	if err != nil {
		t.Fatal(err)
	}
	return devs
}

// planted writes a copy of the fixture changed by plant and returns its path.
func planted(t *testing.T, plant func(doc map[string]any)) string {
	t.Helper()
	raw, err := os.ReadFile(fixture)
	if err != nil {
		t.Fatal(err)
	}
	var doc map[string]any
	if err := yaml.Unmarshal(raw, &doc); err != nil {
		t.Fatal(err)
	}
	plant(doc)
	out, err := yaml.Marshal(doc)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "upstream.yaml")
	if err := os.WriteFile(path, out, 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// at walks doc by keys (strings for maps, ints for lists).
func at(t *testing.T, doc any, keys ...any) any {
	t.Helper()
	for _, k := range keys {
		switch k := k.(type) {
		case string:
			m, ok := doc.(map[string]any)
			if !ok || m[k] == nil {
				t.Fatalf("fixture has no %q", k)
			}
			doc = m[k]
		case int:
			doc = doc.([]any)[k]
		}
	}
	return doc
}

// TestTheFixtureDiffersOnlyDeliberately: the fixture has the shape of Clerk's document, so every
// difference from openapi.yaml is one of the deviations, and every deviation is used.
func TestTheFixtureDiffersOnlyDeliberately(t *testing.T) {
	r, err := Compare(ours, fixture, loadDeviations(t))
	if err != nil {
		t.Fatal(err)
	}
	if u := r.Unexplained(); len(u) > 0 {
		t.Errorf("unexplained: %+v", u)
	}
	if len(r.Stale) > 0 {
		t.Errorf("stale deviations: %+v", r.Stale)
	}
	if len(r.Changes) == 0 {
		t.Error("no differences at all: the comparison saw nothing")
	}
}

// Each planted change in Clerk's document is reported, unexplained, with oasdiff's id.
func TestPlantedChangesAreReported(t *testing.T) {
	cases := []struct {
		name    string
		plant   func(t *testing.T, doc map[string]any)
		wantID  string
		wantOp  string
		wantIn  string // a substring of the change's text
		wantErr bool
	}{
		{
			name: "a new field in the invitation",
			plant: func(t *testing.T, doc map[string]any) {
				props := at(t, doc, "components", "schemas", "Invitation", "properties").(map[string]any)
				props["organization_id"] = map[string]any{"type": "string", "nullable": true}
			},
			wantID: "response-optional-property-added", wantOp: "POST", wantIn: "organization_id",
		},
		{
			name: "a status enum value removed",
			plant: func(t *testing.T, doc map[string]any) {
				for _, p := range at(t, doc, "paths", "/invitations", "get", "parameters").([]any) {
					if p.(map[string]any)["name"] == "status" {
						schema := p.(map[string]any)["schema"].(map[string]any)
						schema["enum"] = []any{"pending", "accepted", "revoked"}
					}
				}
			},
			wantID: "request-parameter-property-enum-value-removed", wantOp: "GET", wantIn: "expired",
		},
		{
			name: "a new operation",
			plant: func(t *testing.T, doc map[string]any) {
				paths := at(t, doc, "paths").(map[string]any)
				paths["/invitations/{invitation_id}"] = map[string]any{"get": map[string]any{
					"operationId": "GetInvitation",
					"parameters":  []any{map[string]any{"name": "invitation_id", "in": "path", "required": true, "schema": map[string]any{"type": "string"}}},
					"responses":   map[string]any{"200": map[string]any{"$ref": "#/components/responses/Invitation"}},
				}}
			},
			wantID: "endpoint-added", wantOp: "GET",
		},
		{
			name: "a status of invitations removed",
			plant: func(t *testing.T, doc map[string]any) {
				status := at(t, doc, "components", "schemas", "Invitation", "properties", "status").(map[string]any)
				status["enum"] = []any{"pending", "accepted", "revoked"}
			},
			wantID: "response-property-enum-value-removed", wantOp: "POST", wantIn: "expired",
		},
		{
			name: "a tightened bound",
			plant: func(t *testing.T, doc map[string]any) {
				schema := at(t, doc, "paths", "/invitations", "post", "requestBody", "content", "application/json", "schema", "properties", "expires_in_days").(map[string]any)
				schema["maximum"] = 90
			},
			wantID: "request-property-max-decreased", wantOp: "POST", wantIn: "expires_in_days",
		},
	}
	devs := loadDeviations(t)
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			upstream := planted(t, func(doc map[string]any) { tc.plant(t, doc) })
			r, err := Compare(ours, upstream, devs)
			if err != nil {
				t.Fatal(err)
			}
			// The planted change, once per operation it reaches, and nothing else.
			u := r.Unexplained()
			if len(u) == 0 {
				t.Fatal("the planted change went unreported")
			}
			sawOp := false
			for _, c := range u {
				if c.ID != tc.wantID || !strings.Contains(c.Text, tc.wantIn) {
					t.Errorf("got %+v, want id %s with %q in its text", c, tc.wantID, tc.wantIn)
				}
				sawOp = sawOp || c.Operation == tc.wantOp
			}
			if !sawOp {
				t.Errorf("no change reported on %s: %+v", tc.wantOp, u)
			}

			var stdout, stderr bytes.Buffer
			code := run([]string{"-ours", ours, "-upstream", upstream, "-deviations", deviations}, &stdout, &stderr)
			if code != 1 {
				t.Errorf("exit %d, want 1; stderr %s", code, stderr.String())
			}
			if !strings.Contains(stdout.String(), "Unexplained") || !strings.Contains(stdout.String(), tc.wantID) {
				t.Errorf("report does not name the change:\n%s", stdout.String())
			}
		})
	}
}

// A deviation Clerk's document no longer needs is reported stale, without failing the run.
func TestStaleDeviationsAreReported(t *testing.T) {
	upstream := planted(t, func(doc map[string]any) {
		paths := at(t, doc, "paths").(map[string]any)
		paths["/invitations/{invitation_id}"] = map[string]any{"delete": map[string]any{
			"operationId": "DeleteInvitation",
			"parameters":  []any{map[string]any{"name": "invitation_id", "in": "path", "required": true, "schema": map[string]any{"type": "string"}}},
			"responses":   map[string]any{"200": map[string]any{"description": "deleted"}},
		}}
	})
	r, err := Compare(ours, upstream, loadDeviations(t))
	if err != nil {
		t.Fatal(err)
	}
	var stale []string
	for _, d := range r.Stale {
		stale = append(stale, d.ID)
	}
	if len(stale) != 1 || stale[0] != "api-path-removed-without-deprecation" {
		t.Errorf("stale %v, want the DeleteInvitation entry alone", stale)
	}
	var out bytes.Buffer
	r.Print(&out, false)
	if !strings.Contains(out.String(), "matched nothing") {
		t.Errorf("report:\n%s", out.String())
	}
}

func TestBadInput(t *testing.T) {
	for name, args := range map[string][]string{
		"no arguments":        nil,
		"unknown flag":        {"-x"},
		"missing upstream":    {"-ours", ours, "-upstream", "testdata/none.yaml", "-deviations", deviations},
		"no invitation paths": {"-ours", ours, "-upstream", "testdata/no-invitations.yaml", "-deviations", deviations},
	} {
		var stdout, stderr bytes.Buffer
		if code := run(args, &stdout, &stderr); code != 2 || stderr.Len() == 0 {
			t.Errorf("%s: exit %d, stderr %q; want 2 and a reason", name, code, stderr.String())
		}
	}
	if _, err := LoadDeviations([]byte("- id: x\n")); err == nil || !strings.Contains(err.Error(), "why") {
		t.Errorf("a deviation without a reason: %v", err)
	}
}

// TestNewest: -upstream newest lists Clerk's documents (GitHub's contents API), takes the file
// named by the latest date, sends GITHUB_TOKEN when set, and compares with that document; a
// listing without any dated document, or an error answer, is a failure to compare (2).
func TestNewest(t *testing.T) {
	fixtureData, err := os.ReadFile(fixture)
	if err != nil {
		t.Fatal(err)
	}
	var srv *httptest.Server
	var auth string
	listing := `[{"name":"2025-11-10.yml","type":"file","download_url":"%[1]s/old.yml"},
		{"name":"2026-05-12.yml","type":"file","download_url":"%[1]s/new.yml"},
		{"name":"README.md","type":"file","download_url":"%[1]s/readme"},
		{"name":"2027-01-01.yml","type":"dir","download_url":null}]`
	srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/list":
			auth = r.Header.Get("Authorization")
			fmt.Fprintf(w, listing, srv.URL)
		case "/empty":
			fmt.Fprint(w, `[{"name":"README.md","type":"file","download_url":"x"}]`)
		case "/new.yml":
			_, _ = w.Write(fixtureData)
		default:
			http.Error(w, "not here", http.StatusNotFound)
		}
	}))
	defer srv.Close()
	t.Setenv("GITHUB_TOKEN", "ghs_test")

	var stdout, stderr bytes.Buffer
	code := run([]string{"-ours", ours, "-upstream", "newest", "-listing", srv.URL + "/list", "-deviations", deviations}, &stdout, &stderr)
	if code != 0 || !strings.Contains(stdout.String(), "Clerk's newest Backend API document: 2026-05-12.yml ("+srv.URL+"/new.yml)") {
		t.Errorf("exit %d\nstdout: %s\nstderr: %s", code, stdout.String(), stderr.String())
	}
	if auth != "Bearer ghs_test" {
		t.Errorf("the listing was asked with Authorization %q", auth)
	}
	for _, path := range []string{"/empty", "/missing"} {
		stdout.Reset()
		stderr.Reset()
		if code := run([]string{"-ours", ours, "-upstream", "newest", "-listing", srv.URL + path, "-deviations", deviations}, &stdout, &stderr); code != 2 || !strings.Contains(stderr.String(), "listing Clerk's documents") {
			t.Errorf("%s: exit %d, stderr %q", path, code, stderr.String())
		}
	}
}
