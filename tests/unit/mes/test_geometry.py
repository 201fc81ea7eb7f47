import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from fabrika.mes.geometry import (
    BINARY_TRIANGLE,
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


def test_a_file_shorter_than_a_binary_header_says_how_short_it_is() -> None:
    assert str(refusal(b"\x00" * 40)) == (
        "The file has only 40 bytes: it is not an ASCII STL, and a binary STL has at least 84 "
        "(its header and triangle count); the file looks truncated."
    )


def test_a_binary_file_cut_short_is_told_what_its_header_announced() -> None:
    data = to_binary_stl(box_mesh(1, 1, 1))[:-1]
    assert str(refusal(data)) == (
        "The binary STL header announces 12 triangles (684 bytes) but the file has 683 bytes; "
        "the file looks truncated."
    )


def test_a_truncated_file_s_sizes_are_grouped_by_thousands() -> None:
    error = refusal(to_binary_stl(fine_mesh(1000))[:1684])
    assert "announces 972 triangles (48,684 bytes) but the file has 1,684 bytes" in str(error)


def test_a_count_mismatch_says_how_many_triangles_the_file_holds() -> None:
    data = bytearray(to_binary_stl(box_mesh(1, 1, 1)))
    data[80:84] = (10).to_bytes(4, "little")
    assert str(refusal(bytes(data))) == (
        "The binary STL header announces 10 triangles (584 bytes) but the file holds 12; "
        "the exporter wrote a wrong count. Export the model again."
    )


def test_a_binary_file_longer_than_whole_triangles_is_refused_as_not_stl() -> None:
    data = to_binary_stl(box_mesh(1, 1, 1)) + b"garbage"
    assert str(refusal(data)) == (
        "The file is not an STL model: it does not start with 'solid' and list facets, and its "
        "size (691 bytes) does not match a binary STL. Export the model as STL."
    )


def test_a_binary_file_with_no_triangles_is_told_to_export_again() -> None:
    assert str(refusal(b"\x00" * 84)) == (
        "The STL file contains no triangles; export the model again."
    )


def test_a_model_over_the_triangle_limit_is_told_both_counts_and_what_to_do() -> None:
    data = to_binary_stl(fine_mesh(1200))
    assert str(refusal(data, max_triangles=1000)) == (
        "The model has 1,200 triangles; we accept at most 1,000. "
        "Reduce the mesh resolution (decimate it) and upload it again."
    )


def test_a_model_exactly_at_the_triangle_limit_is_accepted() -> None:
    assert len(parse_stl(to_ascii_stl(box_mesh(1, 1, 1)), max_triangles=12).triangles) == 12


def test_an_ascii_file_without_its_closing_endsolid_is_refused_as_truncated() -> None:
    data = to_ascii_stl(box_mesh(1, 2, 3)).replace(b"endsolid", b"end")
    assert str(refusal(data)) == (
        "The ASCII STL lists 12 facets but 36 vertices (a facet has 3), or lacks the closing "
        "'endsolid'; the file looks truncated."
    )


def test_an_ascii_file_missing_a_vertex_is_refused_as_truncated() -> None:
    data = to_ascii_stl(box_mesh(1, 2, 3)).replace(b"      vertex 0.0 0.0 0.0\n", b"", 1)
    assert "lists 12 facets but 35 vertices" in str(refusal(data))


@pytest.mark.parametrize("opening", [b"  \n solid", b"SOLID"])
def test_an_ascii_file_may_open_with_blanks_and_in_any_case(opening: bytes) -> None:
    data = to_ascii_stl(box_mesh(1, 2, 3)).replace(b"solid", opening, 1)
    assert measure(parse_stl(data)).volume_mm3 == pytest.approx(6)


def test_an_ascii_file_in_upper_case_parses() -> None:
    data = to_ascii_stl(box_mesh(1, 2, 3)).upper()
    assert measure(parse_stl(data)).volume_mm3 == pytest.approx(6)


def test_a_bad_ascii_coordinate_is_quoted_with_what_a_number_looks_like() -> None:
    data = to_ascii_stl(box_mesh(1, 2, 3)).replace(b"vertex 0.0", b"vertex 0,5", 1)
    assert str(refusal(data)) == (
        "The ASCII STL has the coordinate '0,5', which is not a number; coordinates look like "
        "12.5 or -3.2e+01."
    )


def test_non_finite_coordinates_are_counted_by_triangle() -> None:
    triangles = box_mesh(1, 1, 1).triangles.copy()
    triangles[3, 1, 2] = triangles[3, 2, 0] = np.nan
    triangles[5, 0, 0] = np.nan
    assert str(refusal(to_binary_stl(Mesh(triangles)))) == (
        "2 of the 12 triangles have coordinates that are not numbers (NaN or infinity); "
        "repair the mesh in your CAD tool and export it again."
    )


def test_a_flat_mesh_is_told_what_was_measured_and_what_to_export() -> None:
    square = np.array([[[0, 0, 0], [30, 0, 0], [30, 30, 0]], [[0, 0, 0], [30, 30, 0], [0, 30, 0]]])
    with pytest.raises(ModelError) as caught:
        measure(Mesh(square.astype(float)))
    assert str(caught.value) == (
        "The model encloses no volume (2 triangles, 900.0 mm² of surface, nothing inside: it is "
        "flat or not closed); export a closed, solid mesh."
    )


def test_a_mesh_of_triangles_collapsed_to_a_point_is_refused_as_zero_volume() -> None:
    with pytest.raises(ModelError) as caught:
        measure(Mesh(np.ones((4, 3, 3))))
    assert caught.value.code == "zero_volume"


def test_a_sheet_as_thin_as_rounding_noise_is_refused_as_zero_volume() -> None:
    # 0.1 nm: less than a billionth of what 20,000 mm² of surface could enclose.
    with pytest.raises(ModelError) as caught:
        measure(box_mesh(100, 100, 1e-7))
    assert caught.value.code == "zero_volume"


def test_a_sheet_a_nanometre_thick_is_still_measured() -> None:
    assert measure(box_mesh(100, 100, 1e-6)).volume_mm3 == pytest.approx(0.01, rel=1e-6)


def test_the_fewest_triangles_a_fine_mesh_has_is_a_plain_box() -> None:
    assert len(fine_mesh(1).triangles) == 12


def test_a_fine_mesh_splits_each_face_into_equal_squares() -> None:
    assert len(fine_mesh(48).triangles) == 48


def test_a_binary_stl_stores_each_triangle_s_outward_unit_normal() -> None:
    data = to_binary_stl(tetrahedron_mesh(2))
    normals = np.frombuffer(data, dtype=BINARY_TRIANGLE, offset=84)["normal"]
    slanted = 1 / math.sqrt(3)
    expected = [(0, 0, -1), (0, -1, 0), (-1, 0, 0), (slanted, slanted, slanted)]
    assert np.allclose(normals, expected)


def test_a_degenerate_triangle_is_stored_with_a_zero_normal() -> None:
    needle = Mesh(np.array([[[0, 0, 0], [1, 0, 0], [2, 0, 0]]], dtype=float))
    normal = np.frombuffer(to_binary_stl(needle), dtype=BINARY_TRIANGLE, offset=84)["normal"]
    assert normal.tolist() == [[0, 0, 0]]


def test_an_ascii_stl_spells_out_each_facet_as_the_format_does() -> None:
    lines = to_ascii_stl(tetrahedron_mesh(1)).decode("ascii").splitlines()
    assert lines[:8] == [
        "solid fabrika",
        "  facet normal 0.0 0.0 -1.0",
        "    outer loop",
        "      vertex 0.0 0.0 0.0",
        "      vertex 0.0 1.0 0.0",
        "      vertex 1.0 0.0 0.0",
        "    endloop",
        "  endfacet",
    ]
    assert lines[-1] == "endsolid fabrika"
    assert len(lines) == 2 + 4 * 7


def test_an_empty_file_is_told_to_upload_a_model() -> None:
    assert str(refusal(b"")) == "The file is empty; upload an STL model."


@pytest.mark.parametrize(("announced", "code"), [(2_000_000, "truncated"), (2_000_001, "not_stl")])
def test_a_short_file_is_truncated_only_if_it_announces_at_most_two_million_triangles(
    announced: int, code: str
) -> None:
    data = b"\x00" * 80 + announced.to_bytes(4, "little") + b"\x00" * 50
    assert refusal(data).code == code


def test_a_text_file_listing_facets_without_opening_with_solid_is_not_stl() -> None:
    data = to_ascii_stl(box_mesh(1, 2, 3)).replace(b"solid fabrika\n", b"", 1)
    assert refusal(data).code == "not_stl"


def test_a_coordinate_with_characters_outside_ascii_is_still_quoted() -> None:
    data = to_ascii_stl(box_mesh(1, 2, 3)).replace(b"vertex 0.0", "vertex 0·5".encode(), 1)
    # The two bytes of "·" are each shown as the replacement character.
    assert "the coordinate '0\ufffd\ufffd5', which is not a number" in str(refusal(data))


def test_a_thin_part_far_from_the_origin_is_measured_to_full_precision() -> None:
    # Machine coordinates a kilometre out: the signed sum is taken about the part's centre.
    far = measure(Mesh(box_mesh(110, 110, 0.55).triangles + 1e6))
    assert far.volume_mm3 == pytest.approx(math.prod(far.bbox_mm), rel=1e-13)


def test_a_single_precision_mesh_is_measured_in_double_precision() -> None:
    single = sphere_mesh(10, 3).triangles.astype(np.float32)
    as_double = measure(Mesh(single.astype(np.float64)))
    assert measure(Mesh(single)).volume_mm3 == as_double.volume_mm3


def test_ascii_and_binary_files_of_one_mesh_hold_the_same_normals() -> None:
    mesh = sphere_mesh(12.5, 1)
    binary = np.frombuffer(to_binary_stl(mesh), dtype=BINARY_TRIANGLE, offset=84)["normal"]
    ascii_lines = to_ascii_stl(mesh).decode("ascii").splitlines()
    ascii_ = [[float(v) for v in line.split()[2:]] for line in ascii_lines if "normal" in line]
    assert np.array_equal(binary.astype(np.float64), np.array(ascii_))


def test_a_fine_mesh_is_a_hundred_millimetre_cube_unless_told_otherwise() -> None:
    assert measure(fine_mesh(12)).bbox_mm == (100, 100, 100)
