// Microphone input: the Azure Speech SDK when the server has Speech configured (GET /api/catalog says
// so in speechService, so an unconfigured server is never asked for a token and no failed request
// shows in the console) and /api/speech-token answers (the bundle is loaded only then), otherwise the
// browser's own speech recognition (ko-KR), otherwise the button stays disabled with the reason shown.
// One utterance fills the description.

import { send } from "./api.js";
import { SPEECH_LANGUAGE, SPEECH_SDK_URL, SPEECH_WORKLET_URL, apiUrl } from "./config.js";

const ERRORS = {
  "not-allowed": "마이크 사용이 허용되지 않았습니다. 브라우저 설정에서 마이크 권한을 허용해 주세요.",
  "service-not-allowed": "이 브라우저에서는 음성 인식을 쓸 수 없습니다.",
  "no-speech": "말소리가 들리지 않았습니다. 다시 눌러 말씀해 주세요.",
  "audio-capture": "마이크를 찾을 수 없습니다. 마이크 연결을 확인해 주세요.",
  network: "음성 인식 서비스에 연결할 수 없습니다. 장면 설명을 직접 입력해 주세요.",
  aborted: "음성 입력을 멈췄습니다.",
  generic: "음성을 인식하지 못했습니다. 다시 시도하거나 직접 입력해 주세요.",
};

async function fetchToken() {
  try {
    const response = await send(apiUrl("/api/speech-token"));
    if (response.status !== 200) return null;
    const body = await response.json();
    return body && typeof body.token === "string" && typeof body.region === "string" ? body : null;
  } catch {
    return null;
  }
}

let sdkPromise = null;
function loadSdk() {
  if (window.SpeechSDK) return Promise.resolve(window.SpeechSDK);
  if (!sdkPromise) {
    sdkPromise = new Promise((resolve, reject) => {
      const script = document.createElement("script");
      script.src = new URL(SPEECH_SDK_URL, document.baseURI).href;
      script.async = true;
      script.addEventListener("load", () => (window.SpeechSDK ? resolve(window.SpeechSDK) : reject(new Error("no SDK"))));
      script.addEventListener("error", () => reject(new Error("SDK not loaded")));
      document.head.append(script);
    }).catch((err) => {
      sdkPromise = null;
      throw err;
    });
  }
  return sdkPromise;
}

function browserRecognizer() {
  return window.SpeechRecognition || window.webkitSpeechRecognition || null;
}

/** One utterance through the Azure Speech SDK. `session` = {token, onText, say, listening(stop|null)}. */
async function listenAzure(session) {
  const { onText, say } = session;
  const fresh = (await fetchToken()) || session.token;
  const SDK = await loadSdk();
  const config = SDK.SpeechConfig.fromAuthorizationToken(fresh.token, fresh.region);
  config.speechRecognitionLanguage = SPEECH_LANGUAGE;
  const audio = SDK.AudioConfig.fromDefaultMicrophoneInput();
  audio.setProperty("MICROPHONE-WorkletSourceUrl", new URL(SPEECH_WORKLET_URL, document.baseURI).href);
  const recognizer = new SDK.SpeechRecognizer(config, audio);
  session.listening(() => recognizer.close());
  say("듣고 있어요… 장면을 말씀해 주세요.", "live");
  recognizer.recognizeOnceAsync(
    (result) => {
      if (result.reason === SDK.ResultReason.RecognizedSpeech && result.text) {
        onText(result.text);
        say("음성을 장면 설명에 넣었습니다.", "ok");
      } else if (result.reason === SDK.ResultReason.NoMatch) {
        say(ERRORS["no-speech"], "warn");
      } else {
        say(ERRORS.generic, "warn");
      }
      recognizer.close();
      session.listening(null);
    },
    () => {
      say(ERRORS.network, "warn");
      recognizer.close();
      session.listening(null);
    },
  );
}

/** One utterance through the browser's own SpeechRecognition. */
function listenBrowser(session, Browser) {
  const { onText, say } = session;
  const recognition = new Browser();
  recognition.lang = SPEECH_LANGUAGE;
  recognition.interimResults = false;
  recognition.maxAlternatives = 1;
  recognition.continuous = false;
  let heard = false;
  recognition.addEventListener("result", (event) => {
    const result = event.results[event.results.length - 1];
    const text = result && result[0] ? result[0].transcript : "";
    if (text) {
      heard = true;
      onText(text);
      say("음성을 장면 설명에 넣었습니다.", "ok");
    }
  });
  recognition.addEventListener("error", (event) => {
    heard = true;
    say(ERRORS[event.error] || ERRORS.generic, "warn");
  });
  recognition.addEventListener("end", () => {
    if (!heard) say(ERRORS["no-speech"], "warn");
    session.listening(null);
  });
  session.listening(() => recognition.abort());
  say("듣고 있어요… 장면을 말씀해 주세요.", "live");
  recognition.start();
}

/**
 * Wire the microphone button. `onText(text)` receives one recognised utterance;
 * `say(message, kind)` shows a short status next to the button. `speechService`: the catalog's
 * word on whether Azure Speech is configured (undefined from an older server: ask for a token).
 */
export async function setupMicrophone(button, { onText, say, setListening, speechService }) {
  button.disabled = true;
  if (!window.isSecureContext || !(navigator.mediaDevices || browserRecognizer())) {
    say("마이크는 보안 연결(HTTPS)에서만 쓸 수 있습니다.", "muted");
    return "none";
  }
  const token = speechService === false ? null : await fetchToken();
  const Browser = browserRecognizer();
  const mode = token ? "azure" : Browser ? "browser" : "none";
  if (mode === "none") {
    say("이 브라우저는 음성 입력을 지원하지 않습니다. 장면 설명을 직접 입력해 주세요.", "muted");
    button.title = "이 브라우저는 음성 입력을 지원하지 않습니다";
    return mode;
  }
  let stop = null; // stops the utterance being heard
  const session = {
    token, onText, say,
    listening: (stopper) => {
      stop = stopper;
      setListening(Boolean(stopper));
    },
  };
  button.disabled = false;
  button.dataset.mode = mode;
  button.addEventListener("click", async () => {
    if (stop) {
      stop();
      session.listening(null);
      return;
    }
    try {
      if (mode === "azure") {
        try {
          await listenAzure(session);
        } catch {
          if (!Browser) throw new Error("no fallback");
          listenBrowser(session, Browser);
        }
      } else {
        listenBrowser(session, Browser);
      }
    } catch {
      session.listening(null);
      say(ERRORS.generic, "warn");
    }
  });
  say("", "");
  return mode;
}
