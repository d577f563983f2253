package main

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"regexp"
	"slices"
	"time"
)

// clerkListing is where Clerk publishes its Backend API documents, one per API version, named by
// the version's date: github.com/clerk/openapi-specs, folder bapi/.
const clerkListing = "https://api.github.com/repos/clerk/openapi-specs/contents/bapi"

// listedFile is an entry of GitHub's contents API.
type listedFile struct {
	Name        string `json:"name"`
	Type        string `json:"type"`
	DownloadURL string `json:"download_url"`
}

var versionFile = regexp.MustCompile(`^\d{4}-\d{2}-\d{2}\.ya?ml$`)

// newest returns the download URL and name of the newest document listing (a GitHub contents API
// URL) names: the file whose name is the latest date. GITHUB_TOKEN, when set, is sent, since
// GitHub limits calls without one.
func newest(ctx context.Context, listing string) (url, name string, err error) {
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, listing, nil)
	if err != nil {
		return "", "", err
	}
	req.Header.Set("Accept", "application/vnd.github+json")
	if token := os.Getenv("GITHUB_TOKEN"); token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return "", "", fmt.Errorf("listing Clerk's documents: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return "", "", fmt.Errorf("listing Clerk's documents: %s answered %s", listing, resp.Status)
	}
	var files []listedFile
	if err := json.NewDecoder(resp.Body).Decode(&files); err != nil {
		return "", "", fmt.Errorf("listing Clerk's documents: %s: %w", listing, err)
	}
	files = slices.DeleteFunc(files, func(f listedFile) bool {
		return f.Type != "file" || f.DownloadURL == "" || !versionFile.MatchString(f.Name)
	})
	if len(files) == 0 {
		return "", "", fmt.Errorf("listing Clerk's documents: %s names no YYYY-MM-DD.yml file", listing)
	}
	last := slices.MaxFunc(files, func(a, b listedFile) int {
		return cmp.Compare(a.Name, b.Name)
	})
	return last.DownloadURL, last.Name, nil
}
