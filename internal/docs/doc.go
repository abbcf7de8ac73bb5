// Package docs holds no code: its tests keep the repository's documentation
// true to the code. They fail when a Go package or top-level directory is
// missing from the README's layout table, when a page of docs/ is not linked
// from the README, when a key of the policy input or a field of the snapshot
// document is not documented, and when a relative link of a Markdown file,
// or a docs/ path named in a Go comment, leads nowhere.
package docs
