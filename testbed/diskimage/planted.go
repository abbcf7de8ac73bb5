package diskimage

import (
	"encoding/base64"
	"math/rand/v2"
	"strings"
)

// The credentials below are made up at run time, so that no string in the
// repository looks like a live secret to a scanner, and every run plants
// different ones.
const (
	alnum   = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
	base32  = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"
	b64like = alnum + "+/"
)

func gen(alphabet string, n int) string {
	b := make([]byte, n)
	for i := range b {
		b[i] = alphabet[rand.IntN(len(alphabet))]
	}
	return string(b)
}

// password looks like a generated password: letters, digits and a symbol.
func password() string { return gen(alnum, 14) + "!7" }

// Planted is a Linux root filesystem with one credential in each place the
// deep scan reads, keyed by path. Each file holds exactly one secret except
// the AWS credentials file (an access key ID and its secret key).
func Planted() map[string][]byte {
	pk := "PRIVATE" + " KEY"
	key := "-----BEGIN OPENSSH " + pk + "-----\n" + gen(b64like, 70) + "\n" + gen(b64like, 70) + "\n-----END OPENSSH " + pk + "-----\n"
	files := map[string]string{
		"/root/.aws/credentials":                            "[default]\naws_access_key_id = AK" + "IA" + gen(base32, 16) + "\naws_secret_access_key = " + gen(b64like, 40) + "\n",
		"/home/ubuntu/.ssh/id_ed25519":                      key,
		"/home/ubuntu/.ssh/id_ed25519.pub":                  "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAI" + gen(alnum, 43) + " ubuntu@build\n",
		"/home/ubuntu/.ssh/authorized_keys":                 "# added by the image builder\nssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAI" + gen(alnum, 43) + " builder@ci\n",
		"/home/ubuntu/.bash_history":                        "ls -la\nsudo apt-get update\nmysqldump --password=" + password() + " shop > shop.sql\nexit\n",
		"/home/ec2-user/.docker/config.json":                `{"auths": {"registry.example.com": {"auth": "` + base64.StdEncoding.EncodeToString([]byte("deploy:"+password())) + `"}}}` + "\n",
		"/home/ec2-user/.git-credentials":                   "https://deploy:" + password() + "@git.example.com\n",
		"/etc/shadow":                                       "root:$6$" + gen(alnum, 16) + "$" + gen(alnum+"./", 86) + ":19700:0:99999:7:::\ndaemon:*:19700:0:99999:7:::\n",
		"/var/lib/cloud/instances/i-0a1b2c3d/user-data.txt": "#!/bin/bash\nexport DB_PASSWORD='" + password() + "'\n/opt/app/start\n",
		"/opt/app/.env":                                     "DB_HOST=db.internal\nDB_PASSWORD=" + password() + "\n",
		"/etc/hostname":                                     "build\n",
	}
	out := make(map[string][]byte, len(files))
	for p, c := range files {
		out[p] = []byte(c)
	}
	return out
}

// Clean is a root filesystem with every target file present and nothing to
// report: locked accounts, an empty authorized_keys, placeholders only.
func Clean() map[string][]byte {
	files := map[string]string{
		"/etc/shadow":                       "root:*:19700:0:99999:7:::\nubuntu:!:19700:0:99999:7:::\n",
		"/etc/hostname":                     "clean\n",
		"/root/.bash_history":               "ls\ncd /tmp\n",
		"/home/ubuntu/.ssh/authorized_keys": "",
		"/home/ubuntu/.aws/config":          "[default]\nregion = us-east-1\n",
		"/opt/app/.env":                     "DB_HOST=db.internal\nDB_PASSWORD=${DB_PASSWORD}\n",
		"/var/lib/cloud/instances/i-0a1b2c3d/user-data.txt": "#cloud-config\npackages: [nginx]\n",
	}
	out := make(map[string][]byte, len(files))
	for p, c := range files {
		out[p] = []byte(c)
	}
	return out
}

// IsTarget reports whether a planted path is one the scan must report
// (everything but the public key and the decoys).
func IsTarget(path string) bool {
	return !strings.HasSuffix(path, ".pub") && path != "/etc/hostname"
}
