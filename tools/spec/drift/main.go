// Command drift compares the invitation operations of a Clerk Backend API document with
// openapi.yaml and reports every difference that the committed list of deliberate deviations
// does not explain. make spec-drift runs it; see the README's routine for changing the API
// description.
package main

import "os"

func main() { os.Exit(run(os.Args[1:], os.Stdout, os.Stderr)) }
