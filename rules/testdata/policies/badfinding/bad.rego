# METADATA
# title: Emits a finding without a resource
# custom:
#   id: ORG-003
#   severity: low
package amiaudit.rules.org.badfinding

findings contains f if {
	some img in input.images
	f := {"message": sprintf("%s", [img.id])}
}
