// The 3D preview: an STL part on its process's build plate, turned with the mouse, touch or
// arrow keys, zoomed with the wheel or buttons. Loaded only once a page shows a model.
// Drawn on demand (after each change), never in a loop: a million triangles drawn in
// software cost a frame each, and an idle page costs nothing.
import {
  AmbientLight,
  BufferGeometry,
  Color,
  DirectionalLight,
  Float32BufferAttribute,
  LineBasicMaterial,
  LineSegments,
  Mesh,
  MeshLambertMaterial,
  PerspectiveCamera,
  Scene,
  Vector3,
  WebGLRenderer,
} from "three";
import { OrbitControls } from "three/addons/controls/OrbitControls.js";
import { STLLoader } from "three/addons/loaders/STLLoader.js";

const GRID_MM = 10;
const TURN = Math.PI / 12;
const ZOOM = 1.25;

/** Lines every 10 mm over a `width` × `depth` plate centred on the origin, at height 0. */
function plateGrid(width, depth) {
  const points = [];
  for (let x = -width / 2; x <= width / 2 + 1e-6; x += GRID_MM) points.push(x, 0, -depth / 2, x, 0, depth / 2);
  for (let z = -depth / 2; z <= depth / 2 + 1e-6; z += GRID_MM) points.push(-width / 2, 0, z, width / 2, 0, z);
  const geometry = new BufferGeometry();
  geometry.setAttribute("position", new Float32BufferAttribute(points, 3));
  return new LineSegments(geometry, new LineBasicMaterial({ color: 0x9aa5b1 }));
}

/** The part lying on the plate: STL's Z up becomes three's Y up, centred, its base at 0. */
function partMesh(buffer) {
  const geometry = new STLLoader().parse(buffer);
  geometry.rotateX(-Math.PI / 2);
  geometry.computeBoundingBox();
  const box = geometry.boundingBox;
  const centre = box.getCenter(new Vector3());
  geometry.translate(-centre.x, -box.min.y, -centre.z);
  geometry.computeBoundingSphere();
  return new Mesh(geometry, new MeshLambertMaterial({ color: 0x2f6db5 }));
}

export class Viewer {
  constructor(container) {
    this.container = container;
    // preserveDrawingBuffer: the drawn picture stays readable (tests read its pixels).
    this.renderer = new WebGLRenderer({ antialias: true, preserveDrawingBuffer: true });
    this.renderer.setPixelRatio(Math.min(window.devicePixelRatio, 2));
    this.scene = new Scene();
    this.scene.background = new Color(0xf4f6f8);
    this.scene.add(new AmbientLight(0xffffff, 1.2));
    const light = new DirectionalLight(0xffffff, 2.2);
    light.position.set(1, 2, 1.5);
    this.scene.add(light);
    this.camera = new PerspectiveCamera(40, 1, 0.1, 100000);
    this.controls = new OrbitControls(this.camera, this.renderer.domElement);
    this.controls.addEventListener("change", () => this.draw());
    const canvas = this.renderer.domElement;
    canvas.tabIndex = 0;
    canvas.setAttribute("role", "img");
    canvas.addEventListener("keydown", (event) => this.onKey(event));
    new ResizeObserver(() => this.resize()).observe(container);
  }

  /** Show a part (the STL file's bytes) on a plate of `plate` = [width, depth] mm. */
  show(buffer, plate, label) {
    this.clear();
    this.part = partMesh(buffer);
    this.scene.add(this.part);
    this.setPlate(plate);
    this.renderer.domElement.setAttribute("aria-label", label);
    this.container.replaceChildren(this.renderer.domElement);
    this.resize();
    this.reset();
    this.container.dataset.state = "shown";
    this.container.dataset.triangles = String(this.part.geometry.attributes.position.count / 3);
  }

  /** The build plate under the part: [width, depth] in mm. */
  setPlate(plate) {
    if (this.grid) this.dispose(this.grid);
    this.grid = plateGrid(plate[0], plate[1]);
    this.scene.add(this.grid);
    this.draw();
  }

  dispose(object) {
    this.scene.remove(object);
    object.geometry.dispose();
    object.material.dispose();
  }

  clear() {
    for (const object of [this.part, this.grid]) if (object) this.dispose(object);
    this.part = this.grid = null;
  }

  /** Look at the whole part from the front, above and to the right. */
  reset() {
    const sphere = this.part.geometry.boundingSphere;
    const distance = (sphere.radius / Math.sin((this.camera.fov * Math.PI) / 360)) * 1.6;
    this.controls.target.set(0, sphere.center.y, 0);
    this.camera.position.set(0.6, 0.55, 1).normalize().multiplyScalar(distance).add(this.controls.target);
    this.camera.near = distance / 100;
    this.camera.far = distance * 100;
    this.camera.updateProjectionMatrix();
    this.controls.update();
    this.draw();
  }

  zoom(inwards) {
    if (inwards) this.controls.dollyIn(ZOOM);
    else this.controls.dollyOut(ZOOM);
  }

  onKey(event) {
    const moves = {
      ArrowLeft: () => this.controls.rotateLeft(TURN),
      ArrowRight: () => this.controls.rotateLeft(-TURN),
      ArrowUp: () => this.controls.rotateUp(TURN),
      ArrowDown: () => this.controls.rotateUp(-TURN),
      "+": () => this.zoom(true),
      "=": () => this.zoom(true),
      "-": () => this.zoom(false),
    };
    const move = moves[event.key];
    if (!move) return;
    event.preventDefault();
    move();
  }

  resize() {
    const width = this.container.clientWidth;
    const height = this.container.clientHeight;
    if (!width || !height) return;
    this.renderer.setSize(width, height, false);
    this.camera.aspect = width / height;
    this.camera.updateProjectionMatrix();
    this.draw();
  }

  draw() {
    if (this.part) this.renderer.render(this.scene, this.camera);
  }
}
