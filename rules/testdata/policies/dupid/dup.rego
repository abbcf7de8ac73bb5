# METADATA
# title: Reuses a built-in ID
# custom:
#   id: AMI-001
#   severity: low
package amiaudit.rules.org.dup

findings contains f if {
	false
	f := {}
}
