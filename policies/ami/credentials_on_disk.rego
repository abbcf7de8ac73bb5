# METADATA
# title: Credential on an AMI's disk
# description: |
#   A deep scan (--deep: the AMI's EBS snapshots read through the EBS direct
#   APIs, without launching it) found a credential in a file of the image: AWS
#   keys in .aws/credentials, a private SSH key, shell history or cloud-init
#   user data with a password or token, registry auths in .docker/config.json,
#   .git-credentials, .netrc, .pgpass, an .env file, an unlocked password hash
#   in /etc/shadow, or a non-empty authorized_keys on a shared image. Everyone
#   the AMI is shared with can launch it, or copy its volumes, and read the
#   file. One finding per credential, naming the snapshot, partition, path and
#   detector; only a redacted form (first four characters and a hash) is
#   reported.
# custom:
#   id: AMI-008
#   severity: critical
#   effect: credentials
#   fingerprint: [snapshot_id, partition, path, detector, redacted]
#   scope: region
#   remediation: |
#     Revoke and rotate the credential first: it must be treated as leaked.
#     Stop sharing the AMI, remove the file in the image build (a cleanup step
#     before imaging: shred credentials, history, authorized_keys, cloud-init
#     state), build a new AMI and deregister the old one with its snapshots.
#   references:
#     - https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/building-shared-amis.html
#     - https://docs.aws.amazon.com/ebs/latest/userguide/ebs-accessing-snapshot.html
package amiaudit.rules.ami.credentials_on_disk

import data.amiaudit.lib.resources

findings contains f if {
	some scan in input.deep_scans
	img := input.index.images[sprintf("%s/%s", [scan.region, scan.image_id])]
	some hit in scan.findings
	reportable(img, hit)
	f := {
		"resource": resources.image(img),
		"message": sprintf("AMI %s in %s has a credential (%s) on disk: %s on snapshot %s, partition %s: %s.", [img.id, img.region, hit.description, hit.path, hit.snapshot_id, hit.partition, hit.redacted]),
		"evidence": {
			"snapshot_id": hit.snapshot_id,
			"partition": hit.partition,
			"path": hit.path,
			"detector": hit.detector,
			"redacted": hit.redacted,
			"line": object.get(hit, "line", 0),
		},
	}
}

# An authorized_keys entry is a way in only for the key's holder; it matters
# once others can launch the image.
reportable(_, hit) if hit.detector != "ssh-authorized-keys"

reportable(img, hit) if {
	hit.detector == "ssh-authorized-keys"
	resources.shared(img)
}
