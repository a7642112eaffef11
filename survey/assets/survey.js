// Attachments for the survey form: picked files and voice recorded with MediaRecorder go
// to {form action}/media as raw bodies (the server sniffs the type and checks sizes).
(() => {
  const form = document.getElementById('survey');
  if (!form) return;
  const t = form.dataset;
  // Questions asked only after a low overall rating show once one is picked (the server
  // ignores answers to questions not asked, so without this script all are shown).
  const branch = () => {
    const picked = form.querySelector('input[name=rating]:checked');
    const rating = picked ? Number(picked.value) : 0;
    for (const q of form.querySelectorAll('[data-show-if]')) {
      q.hidden = !(rating > 0 && rating <= Number(q.dataset.showIf));
    }
  };
  for (const r of form.querySelectorAll('input[name=rating]')) r.addEventListener('change', branch);
  branch();
  const csrf = form.querySelector('input[name=csrf]').value;
  const status = document.getElementById('media-status');
  const says = { 403: t.failed, 409: t.tooMany, 413: t.bad, 422: t.bad };
  const send = async (blob) => {
    status.textContent = t.sending;
    try {
      const r = await fetch(form.action + '/media', {
        method: 'POST', headers: { 'X-CSRF-Token': csrf }, body: blob,
      });
      status.textContent = r.ok ? t.sent : (says[r.status] || t.failed);
    } catch (e) {
      status.textContent = t.failed;
    }
  };
  const picker = document.getElementById('media-file');
  picker.addEventListener('change', async () => {
    for (const file of picker.files) await send(file);
    picker.value = '';
  });
  const record = document.getElementById('media-record');
  if (!window.MediaRecorder || !navigator.mediaDevices) {
    record.hidden = true;
    return;
  }
  let recorder = null;
  record.addEventListener('click', async () => {
    if (recorder) {
      recorder.stop();
      return;
    }
    let stream;
    try {
      stream = await navigator.mediaDevices.getUserMedia({ audio: true });
    } catch (e) {
      status.textContent = t.failed;
      return;
    }
    const chunks = [];
    recorder = new MediaRecorder(stream);
    recorder.ondataavailable = (e) => chunks.push(e.data);
    recorder.onstop = () => {
      stream.getTracks().forEach((track) => track.stop());
      recorder = null;
      record.textContent = t.record;
      send(new Blob(chunks, { type: chunks.length ? chunks[0].type : 'audio/webm' }));
    };
    recorder.start();
    record.textContent = t.stop;
  });
})();
