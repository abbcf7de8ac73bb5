// Package docs holds no code: its tests keep the repository's documentation
// true to the code. They fail when a Go package or top-level directory is
// missing from the README's layout table, when a page of docs/ is not linked
// from the README, when a key of the policy input or a field of the snapshot
// document is not documented, when a relative link of a Markdown file,
// or a docs/ path named in a Go comment, leads nowhere, and when a rule's
// severity, title or effect copied into the docs (a table of rules, the gate
// rules of docs/gate.md, the effect lists of docs/report-formats.md, "AMI-008
// (critical" in prose) is not what the rule's METADATA says.
package docs
