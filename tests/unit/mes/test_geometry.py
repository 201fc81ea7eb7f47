import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from fabrika.mes.geometry import (
    Mesh,
    ModelError,
    box_mesh,
    fine_mesh,
    fits,
    measure,
    parse_stl,
    sphere_mesh,
    tetrahedron_mesh,
    to_ascii_stl,
    to_binary_stl,
)

SHAPES = [box_mesh(3, 4, 5), tetrahedron_mesh(2), sphere_mesh(7, 2)]
properties = settings(deadline=None, max_examples=40)


def refusal(data: bytes, **kwargs: int) -> ModelError:
    with pytest.raises(ModelError) as caught:
        parse_stl(data, **kwargs)
    return caught.value


def test_volume_of_unit_cube_is_one() -> None:
    assert measure(box_mesh(1, 1, 1)).volume_mm3 == pytest.approx(1, rel=1e-12)


def test_area_of_unit_cube_is_six() -> None:
    assert measure(box_mesh(1, 1, 1)).area_mm2 == pytest.approx(6, rel=1e-12)


def test_box_volume_is_the_product_of_its_sides() -> None:
    assert measure(box_mesh(40, 30, 20)).volume_mm3 == pytest.approx(24_000, rel=1e-12)


def test_box_area_is_the_sum_of_its_faces() -> None:
    assert measure(box_mesh(40, 30, 20)).area_mm2 == pytest.approx(5_200, rel=1e-12)


def test_bounding_box_is_the_extent_along_each_axis() -> None:
    assert measure(box_mesh(40, 30, 20)).bbox_mm == (40, 30, 20)


def test_measurements_count_the_triangles() -> None:
    assert measure(box_mesh(1, 2, 3)).triangles == 12


def test_tetrahedron_volume_is_a_cubed_over_six() -> None:
    assert measure(tetrahedron_mesh(3)).volume_mm3 == pytest.approx(27 / 6, rel=1e-12)


def test_tetrahedron_area_is_three_right_triangles_and_an_equilateral_one() -> None:
    expected = 3 * 9 / 2 + math.sqrt(3) / 4 * (3 * math.sqrt(2)) ** 2
    assert measure(tetrahedron_mesh(3)).area_mm2 == pytest.approx(expected, rel=1e-12)


def test_fine_sphere_volume_is_within_one_percent_of_four_thirds_pi_r_cubed() -> None:
    volume = measure(sphere_mesh(10, 5)).volume_mm3
    assert volume == pytest.approx(4 / 3 * math.pi * 10**3, rel=0.01)


def test_fine_sphere_area_is_within_one_percent_of_four_pi_r_squared() -> None:
    area = measure(sphere_mesh(10, 5)).area_mm2
    assert area == pytest.approx(4 * math.pi * 10**2, rel=0.01)


def test_inverted_normals_still_give_a_positive_volume() -> None:
    inverted = Mesh(box_mesh(2, 3, 4).triangles[:, ::-1])
    assert measure(inverted).volume_mm3 == pytest.approx(24, rel=1e-12)


def test_sphere_has_twenty_times_four_to_the_subdivisions_triangles() -> None:
    assert len(sphere_mesh(1, 3).triangles) == 20 * 4**3


def test_fine_mesh_has_about_the_requested_number_of_triangles() -> None:
    assert len(fine_mesh(100_000).triangles) == pytest.approx(100_000, rel=0.05)


def test_fine_mesh_is_a_closed_cube_of_the_given_size() -> None:
    assert measure(fine_mesh(10_000, size_mm=50)).volume_mm3 == pytest.approx(50**3, rel=1e-9)


def test_a_mesh_must_hold_triangles_of_three_vertices() -> None:
    with pytest.raises(ValueError, match="shape"):
        Mesh(np.zeros((4, 2, 3)))


@pytest.mark.parametrize(
    "mesh", [box_mesh(40, 30, 20), sphere_mesh(12.5, 2)], ids=["box", "sphere"]
)
def test_binary_and_ascii_files_of_one_mesh_parse_equal(mesh: Mesh) -> None:
    binary = parse_stl(to_binary_stl(mesh)).triangles
    ascii_ = parse_stl(to_ascii_stl(mesh)).triangles
    assert np.array_equal(binary, ascii_)


def test_a_binary_file_whose_header_starts_with_solid_is_read_as_binary() -> None:
    data = b"solid exported by a CAD tool" + to_binary_stl(box_mesh(1, 2, 3))[28:]
    assert measure(parse_stl(data)).volume_mm3 == pytest.approx(6)


def test_an_ascii_file_with_windows_line_endings_parses() -> None:
    data = to_ascii_stl(box_mesh(1, 2, 3)).replace(b"\n", b"\r\n")
    assert measure(parse_stl(data)).volume_mm3 == pytest.approx(6)


@properties
@given(shape=st.sampled_from(SHAPES), k=st.floats(0.01, 100))
def test_scaling_by_k_multiplies_volume_by_k_cubed(shape: Mesh, k: float) -> None:
    scaled = measure(Mesh(shape.triangles * k)).volume_mm3
    assert scaled == pytest.approx(measure(shape).volume_mm3 * k**3, rel=1e-9)


@properties
@given(shape=st.sampled_from(SHAPES), k=st.floats(0.01, 100))
def test_scaling_by_k_multiplies_area_by_k_squared(shape: Mesh, k: float) -> None:
    scaled = measure(Mesh(shape.triangles * k)).area_mm2
    assert scaled == pytest.approx(measure(shape).area_mm2 * k**2, rel=1e-9)


@properties
@given(
    shape=st.sampled_from(SHAPES),
    offset=st.tuples(*[st.floats(-10_000, 10_000)] * 3),
)
def test_translation_changes_no_measurement(
    shape: Mesh, offset: tuple[float, float, float]
) -> None:
    moved = measure(Mesh(shape.triangles + np.array(offset)))
    original = measure(shape)
    assert moved.volume_mm3 == pytest.approx(original.volume_mm3, rel=1e-9)
    assert moved.area_mm2 == pytest.approx(original.area_mm2, rel=1e-9)
    assert moved.bbox_mm == pytest.approx(original.bbox_mm, rel=1e-9)


@properties
@given(order=st.permutations(range(80)))
def test_triangle_order_changes_no_measurement(order: list[int]) -> None:
    sphere = sphere_mesh(5, 1)
    shuffled = measure(Mesh(sphere.triangles[order]))
    original = measure(sphere)
    assert shuffled.volume_mm3 == pytest.approx(original.volume_mm3, rel=1e-12)
    assert shuffled.area_mm2 == pytest.approx(original.area_mm2, rel=1e-12)


@properties
@given(sides=st.tuples(*[st.floats(0.5, 500)] * 3))
def test_a_binary_round_trip_keeps_measurements_to_single_precision(
    sides: tuple[float, float, float],
) -> None:
    mesh = box_mesh(*sides)
    parsed = measure(parse_stl(to_binary_stl(mesh)))
    assert parsed.volume_mm3 == pytest.approx(measure(mesh).volume_mm3, rel=1e-6)


def test_a_million_triangle_binary_file_parses_whole() -> None:
    # Its speed is measured in bench/, not asserted here.
    mesh = parse_stl(to_binary_stl(fine_mesh(1_000_000)))
    assert len(mesh.triangles) > 990_000


def test_an_empty_file_is_refused_as_empty() -> None:
    assert refusal(b"").code == "empty"


def test_a_file_shorter_than_a_binary_header_is_refused_as_truncated() -> None:
    assert refusal(b"\x00" * 40).code == "truncated"


def test_a_binary_file_cut_short_is_refused_as_truncated() -> None:
    data = to_binary_stl(fine_mesh(1000))[:684]
    error = refusal(data)
    assert error.code == "truncated"
    assert "but the file has 684 bytes" in str(error)


def test_a_binary_file_holding_more_triangles_than_announced_is_a_count_mismatch() -> None:
    data = bytearray(to_binary_stl(box_mesh(1, 1, 1)))
    data[80:84] = (10).to_bytes(4, "little")
    assert refusal(bytes(data)).code == "triangle_count_mismatch"


def test_a_binary_file_with_no_triangles_is_refused_as_empty() -> None:
    assert refusal(b"\x00" * 84).code == "empty"


def test_an_ascii_file_with_no_facets_is_refused_as_empty() -> None:
    assert refusal(b"solid nothing\nendsolid nothing\n").code == "empty"


def test_an_ascii_file_cut_inside_a_facet_is_refused_as_truncated() -> None:
    data = to_ascii_stl(box_mesh(1, 2, 3))
    assert refusal(data[: len(data) // 2]).code == "truncated"


def test_an_ascii_coordinate_that_is_not_a_number_is_refused_as_not_stl() -> None:
    data = to_ascii_stl(box_mesh(1, 2, 3)).replace(b"vertex 0.0", b"vertex 0,5", 1)
    error = refusal(data)
    assert error.code == "not_stl"
    assert "'0,5'" in str(error)


def test_bytes_that_are_neither_ascii_nor_binary_stl_are_refused_as_not_stl() -> None:
    data = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4
    assert refusal(data).code == "not_stl"


def test_a_nan_coordinate_is_refused_as_non_finite() -> None:
    triangles = box_mesh(1, 1, 1).triangles.copy()
    triangles[3, 1, 2] = np.nan
    assert refusal(to_binary_stl(Mesh(triangles))).code == "non_finite"


def test_an_infinite_ascii_coordinate_is_refused_as_non_finite() -> None:
    data = to_ascii_stl(box_mesh(1, 2, 3)).replace(b"vertex 0.0", b"vertex inf", 1)
    assert refusal(data).code == "non_finite"


def test_a_binary_file_over_the_triangle_limit_is_refused() -> None:
    data = to_binary_stl(box_mesh(1, 1, 1))
    assert refusal(data, max_triangles=11).code == "too_many_triangles"


def test_an_ascii_file_over_the_triangle_limit_is_refused() -> None:
    data = to_ascii_stl(box_mesh(1, 1, 1))
    assert refusal(data, max_triangles=11).code == "too_many_triangles"


def test_a_flat_mesh_is_refused_as_zero_volume() -> None:
    square = np.array([[[0, 0, 0], [1, 0, 0], [1, 1, 0]], [[0, 0, 0], [1, 1, 0], [0, 1, 0]]])
    with pytest.raises(ModelError) as caught:
        measure(Mesh(square.astype(float)))
    assert caught.value.code == "zero_volume"


def test_a_model_error_is_a_value_error_with_a_message_for_a_person() -> None:
    error = refusal(b"")
    assert isinstance(error, ValueError)
    assert "upload an STL model" in str(error)


def test_a_part_smaller_than_the_build_volume_fits() -> None:
    assert fits((100, 100, 100), (250, 210, 210))


def test_a_part_that_fits_only_rotated_is_accepted() -> None:
    assert fits((10, 10, 240), (250, 210, 210))


def test_a_part_exactly_the_size_of_the_build_volume_fits() -> None:
    assert fits((250, 210, 210), (250, 210, 210))


def test_a_part_too_large_in_every_orientation_does_not_fit() -> None:
    assert not fits((260, 220, 10), (250, 210, 210))
