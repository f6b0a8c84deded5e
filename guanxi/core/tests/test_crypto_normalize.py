from __future__ import annotations

import pytest
from django.db import connection

from guanxi.core import crypto
from guanxi.core.normalize import (
    NormalizeError,
    format_phone,
    mask_email,
    mask_phone,
    normalize_email,
    normalize_phone,
)
from guanxi.customers import services


def test_encrypt_round_trip_and_tampering_is_detected():
    token = crypto.encrypt("13812345678")
    assert token.startswith("gx1:")
    assert "13812345678" not in token
    assert crypto.decrypt(token) == "13812345678"
    assert crypto.encrypt("13812345678") != token  # a fresh nonce every time

    tampered = token[:-2] + ("A" if token[-2] != "A" else "B") + token[-1]
    with pytest.raises(crypto.CryptoError):
        crypto.decrypt(tampered)


def test_blind_index_is_stable_and_purpose_bound():
    assert crypto.blind_index("+8613812345678", purpose="phone") == crypto.blind_index(
        "+8613812345678", purpose="phone"
    )
    assert crypto.blind_index("x", purpose="phone") != crypto.blind_index("x", purpose="email")


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("13812345678", "+8613812345678"),
        ("138 1234 5678", "+8613812345678"),
        ("+86-138-1234-5678", "+8613812345678"),
        ("0086 13812345678", "+8613812345678"),
        ("１３８１２３４５６７８", "+8613812345678"),
        ("010-6552 9988", "+861065529988"),
        ("+1 650 253 0000", "+16502530000"),
    ],
)
def test_phones_are_normalised_to_e164(raw, expected):
    assert normalize_phone(raw) == expected


@pytest.mark.parametrize("raw", ["12345", "abc", "138123456789999"])
def test_bad_phones_are_refused(raw):
    with pytest.raises(NormalizeError):
        normalize_phone(raw)


def test_display_and_masking():
    assert format_phone("+8613812345678") == "138 1234 5678"
    assert mask_phone("+8613812345678") == "138****5678"
    assert mask_email("zhangsan@qq.com") == "z***@qq.com"
    assert normalize_email(" ZhangSan@QQ.com ") == "zhangsan@qq.com"


@pytest.mark.django_db
def test_phones_and_emails_are_not_stored_in_plaintext(rep):
    services.customer_create(
        actor=rep,
        data={
            "name": "甲",
            "phone": "13812345678",
            "email": "boss@jia.cn",
            "address": "深圳市南山区科技路1号",
        },
    )
    with connection.cursor() as cursor:
        cursor.execute("SELECT phone, email, address FROM customers_customer")
        phone, email, address = cursor.fetchone()
    assert "13812345678" not in phone
    assert "boss@jia.cn" not in email
    assert "科技路" not in address
