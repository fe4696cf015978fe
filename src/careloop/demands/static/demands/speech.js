/* CareLoop: "voice input" on the need form. Progressive enhancement: the microphone button
   is rendered hidden and shown only where the browser offers speech recognition
   (SpeechRecognition, or webkitSpeechRecognition in Chrome and WeChat on Android). What is
   heard is added to the description; the form works the same without it.
   Markup: <button data-speech-target="<textarea id>" data-speech-status="<status id>"
   data-speech-lang="zh-CN" data-label-start data-label-stop data-text-listening
   data-text-denied data-text-failed hidden>. */
(function () {
  "use strict";
  var Recognition = window.SpeechRecognition || window.webkitSpeechRecognition;
  if (!Recognition) {
    return; // buttons stay hidden
  }

  function setup(button) {
    var target = document.getElementById(button.getAttribute("data-speech-target"));
    var status = document.getElementById(button.getAttribute("data-speech-status"));
    var label = button.querySelector(".speech-label") || button;
    if (!target) {
      return;
    }
    var recognition = null;
    var listening = false;
    var heard = false;

    function say(text) {
      if (status) {
        status.textContent = text || "";
      }
    }

    function show(on) {
      listening = on;
      button.setAttribute("aria-pressed", on ? "true" : "false");
      button.classList.toggle("is-listening", on);
      label.textContent = button.getAttribute(on ? "data-label-stop" : "data-label-start");
    }

    button.addEventListener("click", function () {
      if (listening && recognition) {
        recognition.stop();
        return;
      }
      var before = target.value.replace(/\s+$/, "");
      heard = false;
      recognition = new Recognition();
      recognition.lang = button.getAttribute("data-speech-lang") || "zh-CN";
      recognition.interimResults = true;
      recognition.continuous = false;
      recognition.maxAlternatives = 1;

      recognition.onstart = function () {
        show(true);
        say(button.getAttribute("data-text-listening"));
      };
      recognition.onresult = function (event) {
        var text = "";
        for (var i = 0; i < event.results.length; i += 1) {
          text += event.results[i][0].transcript;
        }
        heard = heard || text.length > 0;
        var joined = before && text ? before + (/[\u3000-\u9fff]$/.test(before) ? "" : " ") : before;
        var limit = parseInt(target.getAttribute("maxlength") || "0", 10);
        var value = joined + text;
        target.value = limit > 0 ? value.slice(0, limit) : value;
        target.dispatchEvent(new Event("input", { bubbles: true }));
      };
      recognition.onerror = function (event) {
        var denied = event.error === "not-allowed" || event.error === "service-not-allowed";
        say(button.getAttribute(denied ? "data-text-denied" : "data-text-failed"));
        heard = true; // the message above stays
      };
      recognition.onend = function () {
        show(false);
        if (!heard) {
          say(button.getAttribute("data-text-failed"));
        } else if (status && status.textContent === button.getAttribute("data-text-listening")) {
          say("");
        }
        target.focus();
      };
      try {
        recognition.start();
      } catch (error) {
        show(false);
        say(button.getAttribute("data-text-failed"));
      }
    });
    button.hidden = false;
  }

  var buttons = document.querySelectorAll("button[data-speech-target]");
  for (var i = 0; i < buttons.length; i += 1) {
    setup(buttons[i]);
  }
})();
