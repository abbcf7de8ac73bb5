# METADATA
# title: Stale shared AMI
# description: |
#   A shared or public AMI is older than max_shared_image_age_days (default 365)
#   and has no deprecation time, or its deprecation time has passed while it is
#   still shared. Old shared images carry old packages and old vulnerabilities to
#   everyone who launches them. Age is measured at the snapshot's collection time.
# custom:
#   id: AMI-009
#   severity: low
#   fingerprint: []
#   scope: region
#   remediation: |
#     Set a deprecation time (aws ec2 enable-image-deprecation), and stop sharing
#     images that are past it; publish a rebuilt image instead.
#   references:
#     - https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/ami-deprecate.html
package amiaudit.rules.ami.stale_shared

import data.amiaudit.lib.resources

day_ns := ((24 * 60) * 60) * 1000000000

max_age_days := input.config.max_shared_image_age_days

findings contains f if {
	some img in input.shared_images
	not img.deprecation_time
	img.creation_date
	age := floor((input.now_ns - time.parse_rfc3339_ns(img.creation_date)) / day_ns)
	age > max_age_days
	f := {
		"resource": resources.image(img),
		"message": sprintf("AMI %s in %s is shared, was created on %s, more than %d days before the scan, and has no deprecation time.", [img.id, img.region, substring(img.creation_date, 0, 10), max_age_days]),
		"evidence": {"creation_date": img.creation_date, "age_days": age, "max_shared_image_age_days": max_age_days},
	}
}

findings contains f if {
	some img in input.shared_images
	img.deprecation_time
	input.now_ns >= time.parse_rfc3339_ns(img.deprecation_time)
	f := {
		"resource": resources.image(img),
		"message": sprintf("AMI %s in %s is still shared although it was deprecated at %s.", [img.id, img.region, img.deprecation_time]),
		"evidence": {"deprecation_time": img.deprecation_time},
	}
}
