"""``guanxi keys rotate|reencrypt|status|retire``: the data-encryption keys."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from guanxi.core import crypto, keys


class Command(BaseCommand):
    help = (
        "Encryption keys. rotate: new current key, re-encrypt every encrypted column, drop the "
        "old key; reencrypt: re-encrypt values not under the current key; status: values per "
        "key; retire: remove keys no value uses."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="subcommand", required=True)
        rotate = sub.add_parser("rotate", help="Rotate the data key without downtime.")
        rotate.add_argument("--batch-size", type=int, default=500)
        rotate.add_argument(
            "--settle",
            type=float,
            default=None,
            help="Seconds to wait for running processes to pick up the new key "
            f"(default {crypto.RELOAD_SECONDS + 1:g}).",
        )
        rotate.add_argument(
            "--keep-old", action="store_true", help="Keep the old key in the key file."
        )
        reencrypt = sub.add_parser("reencrypt", help="Re-encrypt values under older keys.")
        reencrypt.add_argument("--batch-size", type=int, default=500)
        sub.add_parser("status", help="How many values each key protects.")
        sub.add_parser("retire", help="Remove keys that no value uses from the key file.")

    def handle(self, *args: Any, **options: Any) -> None:
        command = options["subcommand"]
        try:
            if command == "rotate":
                result = keys.rotate(
                    settle_seconds=options["settle"],
                    batch_size=max(1, options["batch_size"]),
                    retire=not options["keep_old"],
                    progress=self.stdout.write,
                )
                self.stdout.write(
                    f"rotated: current key {result.new_key_id}, "
                    f"{result.reencrypted} values re-encrypted, "
                    f"retired keys: {', '.join(result.retired) or 'none'}"
                )
            elif command == "reencrypt":
                changed = keys.reencrypt(
                    batch_size=max(1, options["batch_size"]), progress=self.stdout.write
                )
                self.stdout.write(f"{changed} values re-encrypted")
            elif command == "status":
                current = crypto.ring().current_id
                usage = keys.key_usage()
                for key_id in sorted(set(crypto.ring().keys) | set(usage)):
                    mark = " (current)" if key_id == current else ""
                    self.stdout.write(f"{key_id}{mark}: {usage.get(key_id, 0)} values")
            elif command == "retire":
                retired = keys.retire_unused_keys()
                self.stdout.write(f"retired keys: {', '.join(retired) or 'none'}")
        except keys.KeyRotationError as exc:
            raise CommandError(str(exc)) from exc
