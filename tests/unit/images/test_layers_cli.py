"""The layers command (scripts/layers.py): a PSD from a file, Korean errors, nothing half-written."""

import io
import os

import pytest

from scripts import layers as cli
from shared.images import layers
from tests import sample_images as samples


@pytest.fixture
def picture(tmp_path):
    path = tmp_path / "scene.png"
    path.write_bytes(samples.png_bytes(samples.scene(256, 384, seed=5)))
    return path


def _leftovers(folder):
    return sorted(p.name for p in folder.iterdir() if p.name.endswith(".part"))


def test_writes_a_layered_psd_with_the_chosen_settings(picture, tmp_path, capsys):
    from psd_tools import PSDImage
    from psd_tools.constants import Resource

    out = tmp_path / "out.psd"
    assert cli.main([str(picture), str(out), "--line-weight", "bold", "--detail", "low", "--ppi", "300"]) == 0
    doc = PSDImage.open(io.BytesIO(out.read_bytes()))
    assert [layer.name for layer in doc] == layers.layer_names()
    assert round(doc.image_resources.get_data(Resource.RESOLUTION_INFO).horizontal / 65536) == 300
    said = capsys.readouterr().out
    assert "레이어 PSD를 만들었습니다" in said and "굵은 선" in said and "256x384" in said
    assert _leftovers(tmp_path) == []
    assert oct(out.stat().st_mode & 0o777) != oct(0o600)  # an ordinary file, not mkstemp's private one


def test_sketch_stage_gives_the_sketch_stack(picture, tmp_path):
    from psd_tools import PSDImage

    out = tmp_path / "sketch.psd"
    assert cli.main([str(picture), str(out), "--stage", "스케치"]) == 0
    assert [layer.name for layer in PSDImage.open(out)] == ["완성", "선화"]


@pytest.mark.parametrize(("content", "message"), [
    (b"this is a text file, not a picture", "이미지 파일이 아닙니다"),
    (samples.png_claiming(20_000, 20_000), "이미지 해상도가 너무 큽니다"),
    (b"", "비어 있습니다"),
])
def test_bad_input_gets_a_korean_error_and_leaves_the_old_output(tmp_path, capsys, content, message):
    source = tmp_path / "in.png"
    source.write_bytes(content)
    out = tmp_path / "out.psd"
    out.write_bytes(b"the previous file")
    assert cli.main([str(source), str(out)]) == 2
    assert message in capsys.readouterr().err
    assert out.read_bytes() == b"the previous file"
    assert _leftovers(tmp_path) == []


def test_too_large_a_file_is_refused_before_decoding(picture, tmp_path, capsys, monkeypatch):
    monkeypatch.setattr(layers, "MAX_FILE_BYTES", 1024)
    assert cli.main([str(picture), str(tmp_path / "out.psd")]) == 2
    assert "이미지 파일이 너무 큽니다. 1KB 이하" in capsys.readouterr().err
    assert not (tmp_path / "out.psd").exists()


def test_missing_input_and_missing_folder(tmp_path, picture, capsys):
    assert cli.main([str(tmp_path / "nope.png"), str(tmp_path / "out.psd")]) == 2
    assert "입력 파일을 찾을 수 없습니다" in capsys.readouterr().err
    assert cli.main([str(picture), str(tmp_path / "no-such-dir" / "out.psd")]) == 2
    assert "출력 폴더가 없습니다" in capsys.readouterr().err


def test_a_failed_write_leaves_neither_output_nor_temporary_file(tmp_path, picture, capsys, monkeypatch):
    def refuse(src, dst):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", refuse)
    out = tmp_path / "out.psd"
    assert cli.main([str(picture), str(out)]) == 2
    assert "PSD 파일을 쓸 수 없습니다" in capsys.readouterr().err
    assert not out.exists() and _leftovers(tmp_path) == []


def test_unknown_setting_is_refused_by_the_parser(picture, tmp_path):
    with pytest.raises(SystemExit) as exc:
        cli.main([str(picture), str(tmp_path / "o.psd"), "--line-weight", "heavy"])
    assert exc.value.code == 2
