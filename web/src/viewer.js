// The 3D preview: an STL part on its process's build plate, turned with the mouse, touch or
// arrow keys, zoomed with the wheel or buttons. Loaded only once a page shows a model.
// The page keeps the camera and its controls; a worker (viewer-worker.js) reads, parses
// and draws the part on the canvas, on demand, never in a loop.
import { PerspectiveCamera } from "three";
import { OrbitControls } from "three/addons/controls/OrbitControls.js";

const TURN = Math.PI / 12;
const ZOOM = 1.25;

export class Viewer {
  constructor(container) {
    this.container = container;
    this.canvas = document.createElement("canvas");
    this.canvas.tabIndex = 0;
    this.canvas.setAttribute("role", "img");
    this.canvas.addEventListener("keydown", (event) => this.onKey(event));
    this.worker = new Worker(new URL("./viewer-worker.js", import.meta.url), { type: "module" });
    this.worker.addEventListener("message", (event) => this.onMessage(event.data));
    const offscreen = this.canvas.transferControlToOffscreen();
    this.worker.postMessage({ type: "init", canvas: offscreen }, [offscreen]);
    this.camera = new PerspectiveCamera(40, 1, 0.1, 100000);
    this.controls = new OrbitControls(this.camera, this.canvas);
    this.controls.addEventListener("change", () => this.sendCamera());
    new ResizeObserver(() => this.resize()).observe(container);
    this.shows = 0;
    this.waiting = null;
  }

  /** Show a part (an STL File) on a plate of `plate` = [width, depth] mm; resolves once
   * it is drawn, rejects if the file cannot be drawn. */
  show(file, plate, label) {
    if (this.broken) return Promise.reject(this.broken);
    this.canvas.setAttribute("aria-label", label);
    this.container.replaceChildren(this.canvas);
    this.resize();
    this.shows += 1;
    this.waiting?.reject(new Error("another part is shown"));
    this.worker.postMessage({ type: "show", file, plate, id: this.shows });
    return new Promise((resolve, reject) => (this.waiting = { id: this.shows, resolve, reject, drawing: false }));
  }

  setPlate(plate) {
    this.worker.postMessage({ type: "plate", plate });
  }

  onMessage(message) {
    const waiting = this.waiting;
    if (message.type === "shown" && message.id === this.shows) {
      this.sphere = message;
      this.container.dataset.triangles = String(message.triangles);
      if (waiting) waiting.drawing = true;
      this.reset();
    } else if (message.type === "drawn" && waiting?.drawing) {
      this.waiting = null;
      this.container.dataset.state = "shown";
      waiting.resolve();
    } else if (message.type === "failed") {
      // Without an id the drawing itself failed (no WebGL): no part can be shown.
      if (message.id === undefined) this.broken = new Error(message.message);
      if (waiting && (message.id === undefined || waiting.id === message.id)) {
        this.waiting = null;
        waiting.reject(new Error(message.message));
      }
    }
  }

  clear() {
    this.sphere = null;
    this.worker.postMessage({ type: "clear" });
  }

  /** Look at the whole part from the front, above and to the right. */
  reset() {
    if (!this.sphere) return;
    const { center, radius } = this.sphere;
    const distance = (radius / Math.sin((this.camera.fov * Math.PI) / 360)) * 1.6;
    this.controls.target.set(0, center[1], 0);
    this.camera.position.set(0.6, 0.55, 1).normalize().multiplyScalar(distance).add(this.controls.target);
    this.camera.near = distance / 100;
    this.camera.far = distance * 100;
    this.controls.update();
    this.sendCamera();
  }

  sendCamera() {
    const { position, quaternion, aspect, near, far } = this.camera;
    this.worker.postMessage({ type: "camera", position: position.toArray(), quaternion: quaternion.toArray(), aspect, near, far });
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
    // Setting a canvas's size, even to the same, clears it and costs a whole drawing.
    if (!width || !height || (width === this.width && height === this.height)) return;
    this.width = width;
    this.height = height;
    this.camera.aspect = width / height;
    this.camera.updateProjectionMatrix();
    this.worker.postMessage({ type: "size", width, height, pixelRatio: Math.min(window.devicePixelRatio, 2) });
    this.sendCamera();
  }
}
