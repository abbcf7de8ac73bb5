# METADATA
# title: Shared AMI nobody launches
# description: |
#   A shared or public AMI has not been used to launch an instance for
#   max_unused_shared_image_days (default 180), by its lastLaunchedTime, or has
#   no recorded launch and is older than that. A share nobody uses is exposure
#   without benefit. AWS records lastLaunchedTime with up to 24 hours of delay
#   and only since April 2017, so "no recorded launch" means never launched or
#   last launched before then. Measured at the snapshot's collection time.
# custom:
#   id: AMI-011
#   severity: low
#   scope: region
#   remediation: |
#     Confirm with the grantees that nobody needs the image, then remove its
#     launch permissions (aws ec2 reset-image-attribute --attribute launchPermission),
#     deprecate it (aws ec2 enable-image-deprecation), or disable it
#     (aws ec2 disable-image), which also removes every share.
#   references:
#     - https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_Image.html
package amiaudit.rules.ami.unused_share

import data.amiaudit.lib.resources

day_ns := ((24 * 60) * 60) * 1000000000

max_days := input.config.max_unused_shared_image_days

findings contains f if {
	some img in input.shared_images
	img.last_launched_time
	idle := floor((input.now_ns - time.parse_rfc3339_ns(img.last_launched_time)) / day_ns)
	idle > max_days
	f := {
		"resource": resources.image(img),
		"message": sprintf("AMI %s in %s is %s but was last used to launch an instance on %s, %d days before the scan (limit %d).", [img.id, img.region, share_words(img), substring(img.last_launched_time, 0, 10), idle, max_days]),
		"evidence": {"last_launched_time": img.last_launched_time, "idle_days": idle, "max_unused_shared_image_days": max_days},
	}
}

findings contains f if {
	some img in input.shared_images
	not img.last_launched_time
	img.creation_date
	age := floor((input.now_ns - time.parse_rfc3339_ns(img.creation_date)) / day_ns)
	age > max_days
	f := {
		"resource": resources.image(img),
		"message": sprintf("AMI %s in %s is %s, was created on %s, %d days before the scan, and has no recorded launch (lastLaunchedTime is empty: never launched, or not since April 2017).", [img.id, img.region, share_words(img), substring(img.creation_date, 0, 10), age]),
		"evidence": {"last_launched_time": null, "creation_date": img.creation_date, "age_days": age, "max_unused_shared_image_days": max_days},
	}
}

share_words(img) := "public" if img.public

else := "shared"
