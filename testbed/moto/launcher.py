"""Start moto's server with the few fixes amiaudit's test bed needs.

Usage: python3 launcher.py [--host 127.0.0.1] [--port 0] [--verbose]
       python3 launcher.py --check         (is moto ready? exit 0 or 1)
       python3 launcher.py --requirement   (what pip installs: moto[server]==VERSION)

Port 0 lets the kernel pick a free port; the launcher then prints one line,

    moto ready on http://127.0.0.1:PORT

on stdout once the socket accepts connections, and serves until it is killed
or its stdin reaches end of file (so a server started by a test binary dies
with it, even when the binary is killed with SIGKILL).

Each patch below corrects one moto 5.2 behaviour that differs from AWS and that
the collector's tests depend on. Each is a small named function whose docstring
names the moto behaviour; they are written so that they could be proposed
upstream. One function is a test-bed hook rather than a fix, and says so.
The patches touch moto's classes only, so /moto-api/reset keeps them.
"""

import argparse
import datetime
import importlib
import json
import logging
import os
import sys
import threading

# The one definition of "moto is ready", shared by everything that asks:
# scripts/test-deps (make test, CI) runs --check and installs --requirement,
# and the Go test bed (moto.Available) runs --check. The patches below are
# written against this version's internals, and moto-fidelity.md's findings
# were checked on it.
MOTO_VERSION = "5.2.1"
MOTO_REQUIREMENT = f"moto[server]=={MOTO_VERSION}"
# moto's server needs these; 'import moto' works without them.
SERVER_EXTRAS = ("werkzeug", "flask", "flask_cors")


def check():
    """Return None when moto MOTO_VERSION and its server extras can be
    imported, else what is wrong."""
    try:
        import moto
    except ImportError as e:
        return f"moto is not installed ({e})"
    for name in SERVER_EXTRAS:
        try:
            importlib.import_module(name)
        except ImportError as e:
            return f"moto's server extras are missing ({e})"
    if moto.__version__ != MOTO_VERSION:
        return f"moto {moto.__version__} is installed; the test bed's patches are written for moto {MOTO_VERSION}"
    return None


if __name__ == "__main__" and sys.argv[1:] in (["--check"], ["--requirement"]):
    # Answered before the imports below, which need moto.
    if sys.argv[1] == "--requirement":
        print(MOTO_REQUIREMENT)
        sys.exit(0)
    problem = check()
    if problem:
        print(f"{problem}; install it with: pip install \"{MOTO_REQUIREMENT}\"", file=sys.stderr)
        sys.exit(1)
    print(f"moto {MOTO_VERSION} ready")
    sys.exit(0)

# Patch (c) must be in the environment before moto builds any EC2 backend.
os.environ["MOTO_EC2_LOAD_DEFAULT_AMIS"] = "false"
# The seeder launches instances from an AMI ID that exists nowhere (an AMI
# registered for the purpose would show up in the scan); moto's optional AMI
# validation, read once at import, would refuse that.
os.environ.pop("MOTO_ENABLE_AMI_VALIDATION", None)

import moto  # noqa: E402
from moto.ec2.exceptions import EC2ClientError  # noqa: E402
from moto.ec2.models import amis as ec2_amis  # noqa: E402
from moto.ec2.models import elastic_block_store as ec2_ebs  # noqa: E402
from moto.ebs.responses import EBSResponse  # noqa: E402
from moto.ec2.responses.amis import AmisResponse  # noqa: E402
from moto.kms import models as kms_models  # noqa: E402
from moto.kms import policy_validator as kms_policy_validator  # noqa: E402
from moto.kms import responses as kms_responses  # noqa: E402
from moto.organizations import models as org_models  # noqa: E402
from moto.organizations import utils as org_utils  # noqa: E402
from moto.organizations.exceptions import InvalidInputException  # noqa: E402


# The EBS direct APIs' block size, fixed by AWS.
EBS_BLOCK_SIZE = 524288

# CreateAccount tag read by organizations_create_account_with_fixed_id.
ACCOUNT_ID_TAG = "amiaudit-testbed:account-id"

# What AWS writes for the AWS managed key alias/aws/ebs (policy and description
# as DescribeKey and GetKeyPolicy show them on a real account).
AWS_EBS_KEY_DESCRIPTION = (
    "Default key that protects my EBS volumes when no other key is defined"
)


def aws_ebs_key_policy(account_id, region):
    return json.dumps(
        {
            "Version": "2012-10-17",
            "Id": "auto-ebs-2",
            "Statement": [
                {
                    "Sid": "Allow access through EBS for all principals in the account that are authorized to use EBS",
                    "Effect": "Allow",
                    "Principal": {"AWS": "*"},
                    "Action": [
                        "kms:Encrypt",
                        "kms:Decrypt",
                        "kms:ReEncrypt*",
                        "kms:GenerateDataKey*",
                        "kms:CreateGrant",
                        "kms:DescribeKey",
                    ],
                    "Resource": "*",
                    "Condition": {
                        "StringEquals": {
                            "kms:CallerAccount": account_id,
                            "kms:ViaService": f"ec2.{region}.amazonaws.com",
                        }
                    },
                },
                {
                    "Sid": "Allow direct access to key metadata to the account",
                    "Effect": "Allow",
                    "Principal": {"AWS": f"arn:aws:iam::{account_id}:root"},
                    "Action": [
                        "kms:Describe*",
                        "kms:Get*",
                        "kms:List*",
                        "kms:RevokeGrant",
                    ],
                    "Resource": "*",
                },
            ],
        },
        indent=2,
    )


# --- shared by the image patches -------------------------------------------


def _set_block_device_mappings(ami, mappings, root_device_name=None):
    """Replace the snapshot moto's Ami() always invents with real mappings.

    moto's Ami constructor creates one unencrypted 15 GiB snapshot described
    "Auto-created snapshot for AMI …" for every image. When the caller knows the
    image's real devices, that snapshot is dropped again and the mappings are
    kept on the image.
    """
    backend = ami.ec2_backend
    invented = getattr(ami, "ebs_snapshot", None)
    if invented is not None:
        backend.snapshots.pop(invented.id, None)
        ami.ebs_snapshot = None
    ami._amiaudit_mappings = mappings
    ami.root_device_type = "ebs"
    if root_device_name:
        ami.root_device_name = root_device_name
    elif mappings:
        ami.root_device_name = mappings[0]["DeviceName"]


_original_block_device_mappings = ec2_amis.Ami.block_device_mappings


def _block_device_mappings(self):
    mappings = getattr(self, "_amiaudit_mappings", None)
    if mappings is None:
        return _original_block_device_mappings.fget(self)
    out = []
    for m in mappings:
        snap = self.ec2_backend.snapshots.get(m["SnapshotId"])
        # DescribeImages reports the snapshot's encryption, not the KMS key:
        # AWS documents KmsKeyId in EbsBlockDevice for RunInstances only.
        out.append(
            {
                "DeviceName": m["DeviceName"],
                "Ebs": {
                    "SnapshotId": m["SnapshotId"],
                    "VolumeSize": m["VolumeSize"],
                    "DeleteOnTermination": m["DeleteOnTermination"],
                    "VolumeType": m["VolumeType"],
                    "Encrypted": bool(snap.encrypted) if snap else m["Encrypted"],
                },
            }
        )
    return out


def _mapping(device, snapshot, size=None, volume_type=None, delete_on_termination=True):
    return {
        "DeviceName": device,
        "SnapshotId": snapshot.id,
        "VolumeSize": int(size or snapshot.volume.size),
        "VolumeType": volume_type or "gp2",
        "DeleteOnTermination": bool(delete_on_termination),
        "Encrypted": bool(snapshot.encrypted),
    }


def _key_arn(ec2_backend, key_id):
    """Resolve a key ID, key ARN, alias name or alias ARN to the key ARN, as AWS
    does before it records KmsKeyId on a snapshot."""
    from moto.kms import kms_backends

    kms = kms_backends[ec2_backend.account_id][ec2_backend.region_name]
    try:
        return kms.describe_key(key_id).arn
    except KeyError:
        raise EC2ClientError("InvalidKmsKey.NotFound", f"Key '{key_id}' does not exist")


def _default_ebs_key_arn(ec2_backend):
    return ec2_backend.default_kms_key_id or ec2_backend._create_default_encryption_key()


def _bool(value):
    if isinstance(value, str):
        return value.lower() == "true"
    return bool(value)


# --- (a) RegisterImage ------------------------------------------------------


def register_image_uses_block_device_mappings():
    """moto's RegisterImage ignores BlockDeviceMappings and RootDeviceName: every
    registered AMI gets one new unencrypted 15 GiB snapshot described
    "Auto-created snapshot for AMI …". AWS registers exactly the snapshots the
    mappings name (several devices allowed), and DescribeImages reports each
    device's SnapshotId, VolumeSize (default: the snapshot's), VolumeType,
    DeleteOnTermination and the snapshot's encryption. With this patch moto does
    the same; an unknown snapshot is InvalidSnapshot.NotFound. Mappings without
    a snapshot (instance store, NoDevice) are not modelled and are rejected.
    """

    def register_image(self, name=None, description=None, block_device_mappings=None,
                       root_device_name=None, architecture=None):
        if not block_device_mappings:
            ami = _original_register_image(self, name=name, description=description)
        else:
            mappings = []
            for bdm in block_device_mappings:
                ebs = bdm.get("Ebs") or {}
                snapshot_id = ebs.get("SnapshotId")
                if not snapshot_id:
                    raise EC2ClientError(
                        "InvalidBlockDeviceMapping",
                        f"the test bed's RegisterImage needs Ebs.SnapshotId on {bdm.get('DeviceName')}",
                    )
                snapshot = self.get_snapshot(snapshot_id)
                mappings.append(
                    _mapping(
                        bdm["DeviceName"],
                        snapshot,
                        size=ebs.get("VolumeSize"),
                        volume_type=ebs.get("VolumeType"),
                        delete_on_termination=_bool(ebs.get("DeleteOnTermination", True)),
                    )
                )
            ami = _original_register_image(self, name=name, description=description)
            _set_block_device_mappings(ami, mappings, root_device_name)
        if architecture:
            ami.architecture = architecture
        return ami

    def register_image_response(self):
        self.error_on_dryrun()
        image = self.ec2_backend.register_image(
            name=self._get_param("Name"),
            description=self._get_param("Description", ""),
            block_device_mappings=self._get_param("BlockDeviceMappings", []),
            root_device_name=self._get_param("RootDeviceName"),
            architecture=self._get_param("Architecture"),
        )
        from moto.core.responses import ActionResult

        return ActionResult({"ImageId": image.id})

    _original_register_image = ec2_amis.AmiBackend.register_image
    ec2_amis.AmiBackend.register_image = register_image
    AmisResponse.register_image = register_image_response


# --- (a) CreateImage --------------------------------------------------------


def create_image_snapshots_every_instance_volume():
    """moto's CreateImage ignores the instance's volumes: the AMI gets one new
    unencrypted 15 GiB snapshot, described "Created by CreateImage(i-…) for
    ami-…". AWS snapshots every EBS volume attached to the instance, keeping
    each volume's size, type, encryption and KMS key, and describes each
    snapshot "Created by CreateImage(i-…) for ami-… from vol-…". With this
    patch moto does the same.
    """

    def create_image(self, instance_id, name, description, tag_specifications):
        ami = _original_create_image(self, instance_id, name, description, tag_specifications)
        instance = self.get_instance(instance_id)
        mappings = []
        for device, attached in instance.block_device_mapping.items():
            volume = self.get_volume(attached.volume_id)
            snapshot = self.create_snapshot(
                volume.id,
                f"Created by CreateImage({instance_id}) for {ami.id} from {volume.id}",
                from_ami=ami.id,
            )
            mappings.append(
                _mapping(
                    device,
                    snapshot,
                    size=volume.size,
                    volume_type=volume.volume_type,
                    delete_on_termination=attached.delete_on_termination,
                )
            )
        if mappings:
            root = instance.root_device_name
            if root not in instance.block_device_mapping:
                root = mappings[0]["DeviceName"]
            _set_block_device_mappings(ami, mappings, root)
        return ami

    _original_create_image = ec2_amis.AmiBackend.create_image
    ec2_amis.AmiBackend.create_image = create_image


# --- (a) CopyImage ----------------------------------------------------------


def copy_image_copies_every_snapshot():
    """moto's CopyImage gives the copy one new unencrypted 15 GiB snapshot
    described "Auto-created snapshot for AMI …", ignores Encrypted and KmsKeyId,
    and DescribeImages omits SourceImageId and SourceImageRegion. AWS copies
    every snapshot of the source AMI into the destination region, describes
    each copy "Copied for DestinationAmi ami-… from SourceAmi ami-… for
    SourceSnapshot snap-…. Task created on …", encrypts it with KmsKeyId (or,
    when none is given, keeps the source key within a region and uses the
    destination's default EBS key across regions; Encrypted=true encrypts an
    unencrypted source with that default), and reports the source on the copy.
    With this patch moto does the same.
    """

    def copy_image(self, source_image_id, source_region, name=None, description=None,
                   encrypted=False, kms_key_id=None):
        from moto.ec2.models import ec2_backends

        source_backend = ec2_backends[self.account_id][source_region]
        source = source_backend.describe_images(ami_ids=[source_image_id])[0]
        ami = _original_copy_image(self, source_image_id, source_region, name, description)
        ami.source_image_id = source.id
        ami.source_image_region = source_region
        key_arn = _key_arn(self, kms_key_id) if kms_key_id else None
        now_ms = int(datetime.datetime.now(datetime.timezone.utc).timestamp() * 1000)
        mappings = []
        for bdm in source.block_device_mappings:
            ebs = bdm["Ebs"]
            src_snap = source_backend.get_snapshot(ebs["SnapshotId"])
            if key_arn:
                target_key = key_arn
            elif src_snap.encrypted and source_region == self.region_name:
                target_key = src_snap.kms_key_id
            elif src_snap.encrypted or _bool(encrypted):
                target_key = _default_ebs_key_arn(self)
            else:
                target_key = None
            copy = ec2_ebs.Snapshot(
                self,
                ec2_ebs.random_snapshot_id(),
                volume=src_snap.volume,
                description=(
                    f"Copied for DestinationAmi {ami.id} from SourceAmi {source.id} "
                    f"for SourceSnapshot {src_snap.id}. Task created on {now_ms:,}."
                ),
                encrypted=target_key is not None,
                kms_key_id=target_key,
                from_ami=ami.id,
            )
            self.snapshots[copy.id] = copy
            mappings.append(
                _mapping(
                    bdm["DeviceName"],
                    copy,
                    size=ebs["VolumeSize"],
                    volume_type=ebs["VolumeType"],
                    delete_on_termination=ebs["DeleteOnTermination"],
                )
            )
        if mappings:
            _set_block_device_mappings(ami, mappings, source.root_device_name)
        return ami

    def copy_image_response(self):
        self.error_on_dryrun()
        image = self.ec2_backend.copy_image(
            self._get_param("SourceImageId"),
            self._get_param("SourceRegion"),
            self._get_param("Name"),
            self._get_param("Description"),
            encrypted=_bool(self._get_param("Encrypted", False)),
            kms_key_id=self._get_param("KmsKeyId"),
        )
        from moto.core.responses import ActionResult

        return ActionResult({"ImageId": image.id})

    _original_copy_image = ec2_amis.AmiBackend.copy_image
    ec2_amis.AmiBackend.copy_image = copy_image
    AmisResponse.copy_image = copy_image_response
    ec2_amis.Ami.source_image_id = None
    ec2_amis.Ami.source_image_region = None


# --- snapshot of an encrypted volume ----------------------------------------


def create_snapshot_keeps_volume_kms_key():
    """moto's CreateSnapshot of an encrypted volume marks the snapshot encrypted
    but drops the volume's KmsKeyId, so DescribeSnapshots reports no key. AWS
    encrypts the snapshot with the volume's key and reports its ARN. With this
    patch moto does the same.
    """

    def create_snapshot(self, volume_id, description, owner_id=None, from_ami=None):
        snapshot = _original(self, volume_id, description, owner_id=owner_id, from_ami=from_ami)
        volume = self.get_volume(volume_id)
        if volume.encrypted and volume.kms_key_id and not snapshot.kms_key_id:
            snapshot.kms_key_id = volume.kms_key_id
        return snapshot

    _original = ec2_ebs.EBSBackend.create_snapshot
    ec2_ebs.EBSBackend.create_snapshot = create_snapshot


# --- (d) image deprecation --------------------------------------------------


def image_deprecation():
    """moto does not implement EnableImageDeprecation or DisableImageDeprecation
    (HTTP 500) and DescribeImages never reports DeprecationTime. With this patch
    both calls work and DescribeImages reports the time as AWS writes it
    (2027-05-01T00:00:00.000Z, rounded to the minute). Like the rest of moto it
    does not enforce AWS's limits (not in the past, at most ten years ahead):
    the test bed relies on a past time to reproduce an AMI whose deprecation
    time has passed.
    """
    from moto.core.responses import ActionResult

    def deprecation_string(value):
        if isinstance(value, str):
            value = datetime.datetime.fromisoformat(value.replace("Z", "+00:00"))
        if value.tzinfo is None:
            value = value.replace(tzinfo=datetime.timezone.utc)
        value = value.astimezone(datetime.timezone.utc)
        if value.second >= 30:
            value += datetime.timedelta(minutes=1)
        value = value.replace(second=0, microsecond=0)
        return value.strftime("%Y-%m-%dT%H:%M:%S.000Z")

    def enable_image_deprecation(self):
        ami_id = self._get_param("ImageId")
        deprecate_at = self._get_param("DeprecateAt")
        self.error_on_dryrun()
        ami = self.ec2_backend.describe_images(ami_ids=[ami_id])[0]
        ami.deprecation_time = deprecation_string(deprecate_at)
        return ActionResult({"Return": True})

    def disable_image_deprecation(self):
        ami_id = self._get_param("ImageId")
        self.error_on_dryrun()
        ami = self.ec2_backend.describe_images(ami_ids=[ami_id])[0]
        ami.deprecation_time = None
        return ActionResult({"Return": True})

    ec2_amis.Ami.deprecation_time = None
    AmisResponse.enable_image_deprecation = enable_image_deprecation
    AmisResponse.disable_image_deprecation = disable_image_deprecation


# --- (b) AWS managed keys ---------------------------------------------------


def reserved_alias_keys_are_aws_managed():
    """moto reports KeyManager CUSTOMER for every key, including the one it
    creates behind a reserved alias such as alias/aws/ebs (on the first
    DescribeKey of the alias, or the first encrypted volume without a key), and
    gives that key moto's default customer policy. AWS reports KeyManager AWS
    for the keys behind alias/aws/* and gives aws/ebs its own policy and
    description. With this patch DescribeKey reports AWS for any key an
    alias/aws/… alias points to, and the aws/ebs key carries AWS's policy and
    description. (CreateAlias still refuses moto's list of reserved names, as
    AWS does; moto accepts other alias/aws/… names, which AWS refuses.)
    """

    def get_key_manager(self):
        if any(name.startswith("alias/aws/") for name in self.aliases):
            return "AWS"
        return self.__dict__.get("_amiaudit_key_manager", "CUSTOMER")

    def set_key_manager(self, value):
        self.__dict__["_amiaudit_key_manager"] = value

    def create_alias(self, target_key_id, alias_name):
        alias = _original_create_alias(self, target_key_id, alias_name)
        if alias_name == "alias/aws/ebs":
            key = self.keys[self.get_key_id(target_key_id)]
            key.policy = aws_ebs_key_policy(self.account_id, self.region_name)
            key.description = AWS_EBS_KEY_DESCRIPTION
        return alias

    kms_models.Key.key_manager = property(get_key_manager, set_key_manager)
    _original_create_alias = kms_models.KmsBackend.create_alias
    kms_models.KmsBackend.create_alias = create_alias


# --- (c) no default AMIs ----------------------------------------------------


def no_default_amis():
    """moto loads a few hundred public "amazon" AMIs into every region, each with
    an auto-created snapshot that DescribeSnapshots --owner-ids self lists as
    the caller's own. An AWS account owns no AMI or snapshot it did not make.
    MOTO_EC2_LOAD_DEFAULT_AMIS=false (set at the top of this file, before moto
    builds a backend) turns the loading off; this checks it took effect.
    """
    if moto.settings.ec2_load_default_amis():
        raise SystemExit("launcher: MOTO_EC2_LOAD_DEFAULT_AMIS is not false")


# --- test-bed hook: fixed account IDs ---------------------------------------


def organizations_create_account_with_fixed_id():
    """Test-bed hook, not a fidelity fix. Organizations CreateAccount assigns a
    random account ID, on AWS as in moto. So that scenarios (and the demo) can
    show the readable IDs of examples/snapshot.json, a CreateAccount request
    tagged amiaudit-testbed:account-id=<12 digits> creates the account with that
    ID; the tag itself is not stored. Without the tag nothing changes. An ID
    already in an organization is InvalidInputException.
    """
    lock = threading.Lock()

    def init(self, organization, **kwargs):
        tags = kwargs.get("Tags") or []
        wanted = [t.get("Value") for t in tags if t.get("Key") == ACCOUNT_ID_TAG]
        with lock:
            if not wanted:
                return _original_init(self, organization, **kwargs)
            account_id = wanted[0] or ""
            if len(account_id) != 12 or not account_id.isdigit():
                raise InvalidInputException(f"{ACCOUNT_ID_TAG}: {account_id!r} is not a 12-digit account ID")
            if account_id == organization.master_account_id or account_id in org_models.organizations_backends.master_accounts:
                raise InvalidInputException(f"{ACCOUNT_ID_TAG}: account {account_id} is already in an organization")
            kwargs["Tags"] = [t for t in tags if t.get("Key") != ACCOUNT_ID_TAG]
            saved = org_utils.make_random_account_id
            org_utils.make_random_account_id = lambda: account_id
            try:
                _original_init(self, organization, **kwargs)
            finally:
                org_utils.make_random_account_id = saved

    _original_init = org_models.FakeAccount.__init__
    org_models.FakeAccount.__init__ = init


# --- EBS direct APIs: block indexes --------------------------------------


def ebs_block_listings_match_aws():
    """moto's ListSnapshotBlocks and ListChangedBlocks write BlockIndex as a
    JSON string ("3", the URL segment PutSnapshotBlock stored it under), list
    blocks in upload order, and report BlockSize 512. AWS's BlockIndex is an
    integer, blocks come in ascending index order, and the block size of the
    EBS direct APIs is always 524288 bytes (PutSnapshotBlock refuses any other
    length). The Go SDK refuses the string ("expected BlockIndex to be a JSON
    Number"), and a reader trusting BlockSize 512 would misplace every block.
    With this patch both calls answer as AWS does.
    """

    def numbered(original, key):
        def wrapper(self):
            body = json.loads(original(self))
            blocks = [dict(b, BlockIndex=int(b["BlockIndex"])) for b in body.get(key, [])]
            body[key] = sorted(blocks, key=lambda b: b["BlockIndex"])
            body["BlockSize"] = EBS_BLOCK_SIZE
            return json.dumps(body)

        return wrapper

    EBSResponse.list_snapshot_blocks = numbered(EBSResponse.list_snapshot_blocks, "Blocks")
    EBSResponse.list_changed_blocks = numbered(EBSResponse.list_changed_blocks, "ChangedBlocks")


def key_policy_deny_applies_only_when_its_conditions_hold():
    """moto refuses DescribeKey (AccessDeniedException) whenever the key policy
    has a Deny statement for kms:*, kms:Describe* or kms:DescribeKey on
    Resource "*", ignoring its Principal, NotPrincipal and Condition. AWS
    applies a Deny only to the principals it names and when every condition
    holds (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic.html),
    so the common guard "Deny kms:* unless aws:PrincipalOrgID is ours" does not
    stop the key's own account from describing its key. moto evaluates no
    condition and no principal; with this patch its check skips Deny statements
    that carry a Condition or a NotPrincipal, or whose Principal is not "*" or
    {"AWS": "*"}: those are the ones it cannot judge.
    """
    original = kms_policy_validator.validate_policy

    def judgeable(statement):
        if "Condition" in statement or "NotPrincipal" in statement:
            return False
        principal = statement.get("Principal", "*")
        return principal == "*" or principal == {"AWS": "*"}

    def validate_policy(key, action):
        try:
            policy = json.loads(key.policy)
        except (ValueError, AttributeError, TypeError):
            return
        statements = policy.get("Statement", [])
        if isinstance(statements, dict):
            statements = [statements]
        kept = [s for s in statements if not (str(s.get("Effect", "")).lower() == "deny" and not judgeable(s))]

        class _Key:
            pass

        view = _Key()
        view.arn = key.arn
        view.policy = json.dumps(dict(policy, Statement=kept))
        return original(view, action)

    kms_policy_validator.validate_policy = validate_policy
    kms_responses.validate_policy = validate_policy


PATCHES = [
    no_default_amis,
    register_image_uses_block_device_mappings,
    create_image_snapshots_every_instance_volume,
    copy_image_copies_every_snapshot,
    create_snapshot_keeps_volume_kms_key,
    image_deprecation,
    reserved_alias_keys_are_aws_managed,
    organizations_create_account_with_fixed_id,
    ebs_block_listings_match_aws,
    key_policy_deny_applies_only_when_its_conditions_hold,
]


def apply_patches():
    problem = check()
    if problem:
        raise SystemExit(f'launcher: {problem} (pip install "{MOTO_REQUIREMENT}")')
    # Bound here, after the import, so the wrapper sees moto's own property.
    ec2_amis.Ami.block_device_mappings = property(_block_device_mappings)
    for patch in PATCHES:
        patch()


def watch_stdin():
    """Exit when stdin reaches end of file: the parent that holds the other end
    of the pipe has gone, whatever the way it went."""
    try:
        while sys.stdin.buffer.read(4096):
            pass
    except (OSError, ValueError):
        pass
    os._exit(0)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0, help="0 picks a free port")
    parser.add_argument("--verbose", action="store_true", help="log every request to stderr")
    parser.add_argument(
        "--no-stdin-watch",
        action="store_true",
        help="keep serving when stdin closes (for running by hand in the background)",
    )
    args = parser.parse_args()

    apply_patches()

    from moto.moto_server.werkzeug_app import DomainDispatcherApplication, create_backend_app
    from werkzeug.serving import make_server

    if not args.verbose:
        logging.getLogger("werkzeug").setLevel(logging.ERROR)
    server = make_server(args.host, args.port, DomainDispatcherApplication(create_backend_app), threaded=True)
    host, port = server.server_address[:2]
    if not args.no_stdin_watch:
        threading.Thread(target=watch_stdin, daemon=True).start()
    print(f"moto ready on http://{host}:{port}", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()
