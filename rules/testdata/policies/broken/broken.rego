# METADATA
# title: Broken
# custom:
#   id: ORG-002
#   severity: low
package amiaudit.rules.org.broken

findings contains f if {
	some img in input.images
	f := {"message": img.id
}
